#!/usr/bin/env bash
# Sourced by backup, backups and restore: one way to talk to the operator.
# Progress goes to standard output; warnings and errors to standard error.

message_info() {
  printf 'INFO: %s\n' "$*"
}

message_success() {
  printf 'SUCCESS: %s\n' "$*"
}

message_warning() {
  printf 'WARNING: %s\n' "$*" >&2
}

message_error() {
  printf 'ERROR: %s\n' "$*" >&2
}

# Print an error and exit with status 1.
die() {
  message_error "$@"
  exit 1
}
