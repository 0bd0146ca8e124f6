"""Exercise videos: parse a link to an externally hosted video into what the player needs.

Careboard never uploads or fetches videos. A therapist pastes a link; this module accepts
YouTube, Vimeo and direct HTTPS video files, and turns the link into a provider, a video id,
a privacy-enhanced embed URL and (for YouTube) a thumbnail. Everything else is refused with a
message for the form field. The embed URL is built from the parsed id, never copied from the
input, so nothing the user typed beyond the id reaches the player's ``src`` (direct files
excepted: there the checked link is the player's source).

Pure: no Django, no network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import SplitResult, parse_qs, quote, urlsplit, urlunsplit

MAX_LENGTH = 500

# RFC 3986 characters only: a backslash, a space, a quote or a non-ASCII character is where
# browsers and parsers start to disagree about the host (https://evil.org\@youtube.com).
_URL_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^[0-9]{1,12}$")
# The privacy hash of an unlisted Vimeo video (vimeo.com/<id>/<hash>, ...?h=<hash>).
_VIMEO_HASH = re.compile(r"^[0-9a-f]{6,20}$")
# YouTube's start time: 90, 90s, 1m30s, 1h2m3s.
_YOUTUBE_TIME = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")

_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com"})
_YOUTUBE_NOCOOKIE_HOSTS = frozenset({"youtube-nocookie.com", "www.youtube-nocookie.com"})
_YOUTU_BE_HOSTS = frozenset({"youtu.be", "www.youtu.be"})
_VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com"})
_VIMEO_PLAYER_HOSTS = frozenset({"player.vimeo.com"})
DIRECT_EXTENSIONS = (".mp4", ".webm", ".m3u8")

ACCEPTED = "Use a YouTube or Vimeo link, or an HTTPS link to an .mp4, .webm or .m3u8 video file."


class Provider(StrEnum):
    YOUTUBE = "youtube"
    VIMEO = "vimeo"
    FILE = "file"


class VideoURLError(ValueError):
    """The link is not one Careboard plays; ``str(error)`` is the message for the field."""


@dataclass(frozen=True)
class Video:
    provider: Provider
    # The provider's id; for a direct file, empty (the URL is its identity).
    id: str
    # The link as given, normalised (lower-case scheme and host).
    url: str
    embed_url: str
    thumbnail_url: str = ""


def parse_video_url(url: str) -> Video:
    """Parse a video link, or raise ``VideoURLError`` with the reason."""
    parts = _split_https(url, what="video link")
    host = parts.hostname or ""
    if host in _YOUTUBE_HOSTS | _YOUTUBE_NOCOOKIE_HOSTS | _YOUTU_BE_HOSTS:
        return _youtube(parts, host)
    if host in _VIMEO_HOSTS | _VIMEO_PLAYER_HOSTS:
        return _vimeo(parts, host)
    if parts.path.lower().endswith(DIRECT_EXTENSIONS):
        _require_public_host(host, what="video file")
        normalised = urlunsplit(("https", host, parts.path, parts.query, ""))
        return Video(provider=Provider.FILE, id="", url=normalised, embed_url=normalised)
    raise VideoURLError(ACCEPTED)


def check_https_url(url: str, *, what: str = "link") -> str:
    """Check a plain HTTPS link (a thumbnail image); return it normalised."""
    parts = _split_https(url, what=what)
    _require_public_host(parts.hostname or "", what=what)
    return urlunsplit(("https", parts.hostname or "", parts.path, parts.query, ""))


def _split_https(url: str, *, what: str) -> SplitResult:
    url = url.strip()
    if not url:
        raise VideoURLError(f"Enter a {what}.")
    if len(url) > MAX_LENGTH:
        raise VideoURLError(f"The {what} is longer than {MAX_LENGTH} characters.")
    if not _URL_CHARS.match(url):
        raise VideoURLError(f"The {what} contains characters a link cannot have.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise VideoURLError(f"This is not a valid {what}.") from exc
    if parts.scheme != "https":
        raise VideoURLError(f"Only https:// links are accepted as a {what}.")
    if "@" in parts.netloc:
        raise VideoURLError("A link must not contain a user name or password.")
    if port is not None and port != 443:
        raise VideoURLError("Only links on the standard HTTPS port are accepted.")
    if not parts.hostname:
        raise VideoURLError(f"This is not a valid {what}.")
    return parts


def _require_public_host(host: str, *, what: str) -> None:
    # A patient's phone cannot reach "localhost" or the clinic's private addresses.
    if "." not in host or ":" in host or re.fullmatch(r"[0-9.]+", host):
        raise VideoURLError(f"The {what} must be on a public host name, not an address.")


def _segments(path: str) -> list[str]:
    # One trailing slash is tolerated (".../shorts/<id>/"); empty inner segments are not.
    if path.endswith("/"):
        path = path[:-1]
    return path.split("/")[1:] if path else []


def _youtube(parts: SplitResult, host: str) -> Video:
    query = parse_qs(parts.query)
    segments = _segments(parts.path)
    video_id: str | None = None
    if host in _YOUTU_BE_HOSTS:
        if len(segments) == 1:
            video_id = segments[0]
    elif segments == ["watch"] and host in _YOUTUBE_HOSTS:
        values = query.get("v", [])
        if len(values) != 1:
            raise VideoURLError("A YouTube link names exactly one video (watch?v=…).")
        video_id = values[0]
    elif len(segments) == 2 and segments[0] in ("shorts", "embed", "live"):
        video_id = segments[1]
    if video_id is None:
        raise VideoURLError(
            "Use a YouTube video link: youtube.com/watch?v=…, youtu.be/…, /shorts/… or /embed/…."
        )
    if not _YOUTUBE_ID.match(video_id):
        raise VideoURLError("This is not a valid YouTube video id (11 letters, digits, - or _).")
    embed = f"https://www.youtube-nocookie.com/embed/{video_id}"
    start = _youtube_start(query.get("t", []) or query.get("start", []))
    if start:
        embed += f"?start={start}"
    return Video(
        provider=Provider.YOUTUBE,
        id=video_id,
        url=urlunsplit(("https", host, parts.path, parts.query, "")),
        embed_url=embed,
        thumbnail_url=f"https://i.ytimg.com/vi/{video_id}/hqdefault.jpg",
    )


def _youtube_start(values: list[str]) -> int:
    """Seconds from ``t=`` (``90``, ``90s``, ``1m30s``); 0 when absent or unreadable."""
    if len(values) != 1:
        return 0
    match = _YOUTUBE_TIME.match(values[0])
    if not match or not values[0]:
        return 0
    hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _vimeo(parts: SplitResult, host: str) -> Video:
    segments = _segments(parts.path)
    privacy_hash = ""
    if host in _VIMEO_PLAYER_HOSTS:
        if len(segments) != 2 or segments[0] != "video":
            raise VideoURLError("Use a Vimeo video link: vimeo.com/<number>.")
        video_id = segments[1]
        hashes = parse_qs(parts.query).get("h", [])
        if len(hashes) > 1:
            raise VideoURLError("This is not a valid Vimeo link.")
        privacy_hash = hashes[0] if hashes else ""
    else:
        if len(segments) not in (1, 2):
            raise VideoURLError("Use a Vimeo video link: vimeo.com/<number>.")
        video_id = segments[0]
        privacy_hash = segments[1] if len(segments) == 2 else ""
    if not _VIMEO_ID.match(video_id):
        raise VideoURLError("This is not a valid Vimeo video id (digits only).")
    if privacy_hash and not _VIMEO_HASH.match(privacy_hash):
        raise VideoURLError("This is not a valid Vimeo link.")
    # dnt=1: Vimeo's player sets no tracking cookies.
    query = f"h={quote(privacy_hash)}&dnt=1" if privacy_hash else "dnt=1"
    return Video(
        provider=Provider.VIMEO,
        id=video_id,
        url=urlunsplit(("https", host, parts.path, parts.query, "")),
        embed_url=f"https://player.vimeo.com/video/{video_id}?{query}",
    )
