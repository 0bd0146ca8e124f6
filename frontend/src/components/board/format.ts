/** Durations and clock times for the board, in the user's locale (Intl, no library). */

import { intlLocale } from "@/i18n/locale";

function unit(locale: string, name: "minute" | "hour" | "day", value: number): string {
  return new Intl.NumberFormat(intlLocale(locale), { style: "unit", unit: name, unitDisplay: "short" }).format(value);
}

/** "25 min", "3 hr 5 min", "2 days 4 hr": whole minutes, at most two units. */
export function formatDuration(minutes: number, locale: string): string {
  const total = Math.max(0, Math.floor(minutes));
  if (total < 60) return unit(locale, "minute", total);
  if (total < 48 * 60) {
    const hours = Math.floor(total / 60);
    const rest = total % 60;
    return rest ? `${unit(locale, "hour", hours)} ${unit(locale, "minute", rest)}` : unit(locale, "hour", hours);
  }
  const days = Math.floor(total / (24 * 60));
  const hours = Math.floor((total % (24 * 60)) / 60);
  return hours ? `${unit(locale, "day", days)} ${unit(locale, "hour", hours)}` : unit(locale, "day", days);
}

/** Whole minutes from `nowMs` to `iso` (negative when it lies in the past). */
export function minutesUntil(iso: string, nowMs: number): number {
  const diff = (Date.parse(iso) - nowMs) / 60_000;
  return diff < 0 ? -Math.floor(-diff) : Math.floor(diff);
}

/** "14:30", or "12.3., 14:30" when not today. `timeZone` is the organisation's, when known. */
export function formatClock(iso: string, nowMs: number, locale: string, timeZone?: string): string {
  const at = new Date(iso);
  const day = new Intl.DateTimeFormat(intlLocale(locale), { dateStyle: "short", timeZone });
  const sameDay = day.format(at) === day.format(new Date(nowMs));
  return new Intl.DateTimeFormat(intlLocale(locale), {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    ...(sameDay ? {} : { day: "numeric", month: "short" }),
  }).format(at);
}

/** Date and time in full, for a tooltip and the `<time>` element's title. */
export function formatDateTime(iso: string, locale: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(intlLocale(locale), { dateStyle: "medium", timeStyle: "short", timeZone }).format(
    new Date(iso),
  );
}
