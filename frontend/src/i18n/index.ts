/**
 * vue-i18n with messages compiled at build time. Each area keeps its own file per language
 * (src/i18n/locales/<lang>/<area>.json); they are merged here under the area's name, so
 * `t("board.title")` reads locales/<lang>/board.json → "title".
 */
import { createI18n } from "vue-i18n";

export const LANGUAGES = [
  { code: "en", label: "English" },
  { code: "de", label: "Deutsch" },
  { code: "th", label: "ไทย" },
] as const;
export type Language = (typeof LANGUAGES)[number]["code"];

const files = import.meta.glob<{ default: Record<string, unknown> }>("./locales/*/*.json", {
  eager: true,
});

const messages: Record<string, Record<string, unknown>> = { en: {}, de: {}, th: {} };
for (const [path, module] of Object.entries(files)) {
  const match = /locales\/(\w+)\/(\w+)\.json$/.exec(path);
  if (!match) continue;
  const [, lang, area] = match as unknown as [string, string, string];
  (messages[lang] ??= {})[area] = module.default;
}

function initialLanguage(): Language {
  const saved = localStorage.getItem("careboard.language");
  const wanted = saved ?? document.documentElement.lang ?? navigator.language;
  const code = (wanted || "en").slice(0, 2);
  return (LANGUAGES.find((l) => l.code === code)?.code ?? "en") as Language;
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLanguage(),
  fallbackLocale: "en",
  messages: messages as never,
});

/** Switch the language; ``persist: false`` for a page that follows someone else's choice
 * (the portal shows the patient's language without changing the device's setting). */
export function setLanguage(code: Language, { persist = true }: { persist?: boolean } = {}): void {
  i18n.global.locale.value = code;
  if (persist) localStorage.setItem("careboard.language", code);
  document.documentElement.lang = code;
}

document.documentElement.lang = i18n.global.locale.value;
