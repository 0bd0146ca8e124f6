/** Translated labels for the builder's fixed vocabularies, and locale-aware dates and numbers. */
import { useI18n } from "vue-i18n";

import type { Dosage } from "@/api/portal";
import { intlLocale } from "@/i18n/locale";

/** Monday = 0, as the API counts weekdays. */
export const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6] as const;

// 2024-01-01 was a Monday: weekday names come from Intl, so every language has them.
function weekdayName(day: number, locale: string, style: "long" | "short"): string {
  return new Intl.DateTimeFormat(locale, { weekday: style, timeZone: "UTC" }).format(Date.UTC(2024, 0, 1 + day));
}

export function useVocabulary() {
  const { t, locale } = useI18n();

  /** A date-only value ("2026-11-22") shown as that calendar day, whatever the browser's zone. */
  function date(value: string | null | undefined, style: "short" | "medium" | "long" = "medium"): string {
    if (!value) return "";
    const [y, m, d] = value.slice(0, 10).split("-").map(Number);
    if (!y || !m || !d) return value;
    return new Intl.DateTimeFormat(intlLocale(locale.value), { dateStyle: style, timeZone: "UTC" }).format(
      Date.UTC(y, m - 1, d),
    );
  }

  function dateTime(value: string | null | undefined): string {
    if (!value) return "";
    return new Intl.DateTimeFormat(intlLocale(locale.value), { dateStyle: "medium", timeStyle: "short" }).format(
      new Date(value),
    );
  }

  function number(value: number | null | undefined, digits = 1): string {
    if (value === null || value === undefined) return "";
    return new Intl.NumberFormat(intlLocale(locale.value), { maximumFractionDigits: digits }).format(value);
  }

  function weekday(day: number, style: "long" | "short" = "short"): string {
    return weekdayName(day, intlLocale(locale.value), style);
  }

  /** "3 sets · 10 reps · hold 5 s · rest 60 s · 2 kg · left side · tempo 3-1-3". */
  function dosage(value: Partial<Dosage>): string[] {
    const parts: string[] = [];
    if (value.sets) parts.push(t("builder.dosage.sets", { n: number(value.sets) }, value.sets));
    if (value.reps) parts.push(t("builder.dosage.reps", { n: number(value.reps) }, value.reps));
    if (value.hold_seconds) parts.push(t("builder.dosage.hold", { n: number(value.hold_seconds) }));
    if (value.duration_seconds) parts.push(duration(value.duration_seconds));
    if (value.load_kg) parts.push(t("builder.dosage.load", { n: number(value.load_kg) }));
    if (value.side && value.side !== "both") parts.push(t(`builder.side.${value.side}`));
    if (value.tempo) parts.push(t("builder.dosage.tempo", { tempo: value.tempo }));
    if (value.rest_seconds) parts.push(t("builder.dosage.rest", { n: number(value.rest_seconds) }));
    return parts;
  }

  function duration(seconds: number): string {
    if (seconds >= 60 && seconds % 60 === 0)
      return t("builder.dosage.minutes", { n: number(seconds / 60) }, seconds / 60);
    return t("builder.dosage.seconds", { n: number(seconds) });
  }

  return {
    t,
    locale,
    date,
    dateTime,
    number,
    weekday,
    dosage,
    region: (code: string) => t(`builder.region.${code}`),
    equipment: (code: string) => t(`builder.equipment.${code}`),
    difficulty: (code: string) => t(`builder.difficulty.${code}`),
    position: (code: string) => t(`builder.position.${code}`),
    side: (code: string) => t(`builder.side.${code}`),
    status: (code: string) => t(`builder.status.${code}`),
    progression: (code: string) => t(`builder.progressionField.${code}`),
    flag: (code: string) => t(`builder.flag.${code}`),
    severity: (code: string) => t(`builder.severity.${code}`),
  };
}
