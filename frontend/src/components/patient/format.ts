/**
 * Dates and numbers in the user's locale (Intl) and the organisation's time zone.
 * Pure functions take the locale and zone; `useFormat()` binds them to the app's language
 * and the patient store's time zone.
 */
import { computed } from "vue";
import { useI18n } from "vue-i18n";

import { intlLocale } from "@/i18n/locale";
import { usePatientStore } from "@/stores/patient";

export { intlLocale };

export function formatDateTime(iso: string | null | undefined, locale: string, timeZone: string): string {
  if (!iso) return "";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone }).format(new Date(iso));
}

export function formatTime(iso: string | null | undefined, locale: string, timeZone: string): string {
  if (!iso) return "";
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone }).format(new Date(iso));
}

/** A calendar date (`YYYY-MM-DD`, e.g. a birth date): no time-zone shift. */
export function formatDate(isoDate: string | null | undefined, locale: string): string {
  if (!isoDate) return "";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" }).format(
    new Date(`${isoDate.slice(0, 10)}T00:00:00Z`),
  );
}

export function formatNumber(
  value: number | null | undefined,
  locale: string,
  options: Intl.NumberFormatOptions = {},
): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "";
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 1, ...options }).format(value);
}

/** "in 45 minutes" / "12 minutes ago", rounded to minutes, hours or days. */
export function formatRelative(iso: string | null | undefined, locale: string, now: Date = new Date()): string {
  if (!iso) return "";
  const minutes = Math.round((new Date(iso).getTime() - now.getTime()) / 60_000);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  if (Math.abs(minutes) < 60) return rtf.format(minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (Math.abs(hours) < 48) return rtf.format(hours, "hour");
  return rtf.format(Math.round(hours / 24), "day");
}

/** Today's date in a time zone, as `YYYY-MM-DD`. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

/** Whole years between a birth date and `today` (both `YYYY-MM-DD`). */
export function ageInYears(birthDate: string, today: string): number {
  const [by, bm, bd] = birthDate.split("-").map(Number) as [number, number, number];
  const [ty, tm, td] = today.split("-").map(Number) as [number, number, number];
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

/** The offset of `timeZone` from UTC at `date`, in minutes. */
export function zoneOffsetMinutes(date: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(date);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((asUtc - date.getTime()) / 60_000);
}

const HOUR = 3_600_000;
const TICK_STEPS_HOURS = [1, 2, 3, 4, 6, 12, 24, 48, 72, 168];

/**
 * Time-axis ticks on round hours of the organisation's zone (00:00, 06:00, 12:00…), about
 * `wanted` of them between `from` and `to` (epoch ms).
 */
export function timeTicks(from: number, to: number, timeZone: string, wanted = 6): number[] {
  const span = Math.max(to - from, HOUR);
  const stepHours = TICK_STEPS_HOURS.find((h) => span / (h * HOUR) <= wanted) ?? 336;
  const step = stepHours * HOUR;
  // Round in the zone's wall time, so a 6-hour step lands on 00/06/12/18 local.
  const offset = zoneOffsetMinutes(new Date(from), timeZone) * 60_000;
  const ticks: number[] = [];
  for (let local = Math.ceil((from + offset) / step) * step; local - offset <= to; local += step)
    ticks.push(local - offset);
  return ticks;
}

/** A wall-clock time typed in the organisation's zone (`YYYY-MM-DDTHH:mm`) as an ISO instant. */
export function zonedToIso(local: string, timeZone: string): string {
  const [datePart = "", timePart = "00:00"] = local.split("T");
  const [y, mo, d] = datePart.split("-").map(Number) as [number, number, number];
  const [h, mi] = timePart.split(":").map(Number) as [number, number];
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  let offset = zoneOffsetMinutes(new Date(guess), timeZone);
  // Once more at the corrected instant, for a wall time next to a daylight-saving change.
  offset = zoneOffsetMinutes(new Date(guess - offset * 60_000), timeZone);
  return new Date(guess - offset * 60_000).toISOString();
}

/** An instant as the wall-clock value of a `datetime-local` input in `timeZone`. */
export function isoToZonedInput(iso: string, timeZone: string): string {
  const date = new Date(iso);
  const shifted = new Date(date.getTime() + zoneOffsetMinutes(date, timeZone) * 60_000);
  return shifted.toISOString().slice(0, 16);
}

export function useFormat() {
  const { locale } = useI18n();
  const store = usePatientStore();
  const tag = computed(() => intlLocale(locale.value));
  return {
    locale: tag,
    timeZone: computed(() => store.timeZone),
    dateTime: (iso: string | null | undefined) => formatDateTime(iso, tag.value, store.timeZone),
    time: (iso: string | null | undefined) => formatTime(iso, tag.value, store.timeZone),
    date: (isoDate: string | null | undefined) => formatDate(isoDate, tag.value),
    number: (value: number | null | undefined, options?: Intl.NumberFormatOptions) =>
      formatNumber(value, tag.value, options),
    relative: (iso: string | null | undefined) => formatRelative(iso, tag.value),
    age: (birthDate: string) => ageInYears(birthDate, todayIn(store.timeZone)),
  };
}
