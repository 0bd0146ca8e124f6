/**
 * The browser tab's title: "<page> · Careboard". Each route names its page with an i18n key
 * (`meta.titleKey`, router.ts); a page whose title is data (a patient's name) sets it with
 * `usePageTitle` for as long as it is shown. The title follows the language.
 */
import { onScopeDispose, ref, toValue, watchEffect, type MaybeRefOrGetter, type WatchStopHandle } from "vue";
import type { Router } from "vue-router";

/** A page's own title, set by `usePageTitle`; null: the route's. */
const pageTitle = ref<string | null>(null);

/** "<page> · <app>", or the app's name alone for a page without a title. */
export function formatTitle(page: string | null | undefined, app: string): string {
  return page ? `${page} · ${app}` : app;
}

/** Title the tab with `title` (e.g. a name once loaded; empty: the route's title) while the calling component lives. */
export function usePageTitle(title: MaybeRefOrGetter<string | null | undefined>): void {
  const stop = watchEffect(() => {
    pageTitle.value = toValue(title) || null;
  });
  onScopeDispose(() => {
    stop();
    pageTitle.value = null;
  });
}

/** Keep `document.title` on the current page's title, in the current language. */
export function followPageTitles(router: Router, t: (key: string) => string): WatchStopHandle {
  return watchEffect(() => {
    const key = router.currentRoute.value.meta.titleKey;
    const page = pageTitle.value ?? (key ? t(key) : null);
    document.title = formatTitle(page, t("common.appName"));
  });
}
