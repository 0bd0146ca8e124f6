/**
 * The locale for Intl (dates, numbers): the app's language in the browser's regional variant,
 * so an English user in Britain reads "22 Nov 2026", not the US "Nov 22, 2026". The one place
 * every formatter asks.
 */
export function intlLocale(
  language: string,
  preferred: readonly string[] = typeof navigator === "undefined" ? [] : navigator.languages,
): string {
  return preferred.find((tag) => tag.toLowerCase().split("-")[0] === language) ?? language;
}
