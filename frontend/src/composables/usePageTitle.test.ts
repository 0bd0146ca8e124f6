import { mount } from "@vue/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { defineComponent, h, ref } from "vue";
import { createI18n } from "vue-i18n";
import { createMemoryHistory, createRouter, type RouteRecordRaw } from "vue-router";

import { followPageTitles, formatTitle, usePageTitle } from "@/composables/usePageTitle";
import { i18n, LANGUAGES } from "@/i18n";
import { routes } from "@/router";

// eslint-disable-next-line vue/one-component-per-file -- stand-ins for pages, in a test
const Blank = defineComponent({ render: () => h("p") });

function setup(records: RouteRecordRaw[]) {
  const testI18n = createI18n({
    legacy: false,
    locale: "en",
    messages: {
      en: { common: { appName: "Careboard" }, board: { title: "Ward board" }, patients: "Patients" },
      de: { common: { appName: "Careboard" }, board: { title: "Stationsübersicht" }, patients: "Patienten" },
    },
  });
  const router = createRouter({ history: createMemoryHistory(), routes: records });
  const stop = followPageTitles(router, (key) => testI18n.global.t(key));
  return { router, i18n: testI18n, stop };
}

afterEach(() => {
  document.title = "";
});

describe("page titles", () => {
  it("formats '<page> · <app>', or the app alone", () => {
    expect(formatTitle("Patients", "Careboard")).toBe("Patients · Careboard");
    expect(formatTitle("", "Careboard")).toBe("Careboard");
    expect(formatTitle(null, "Careboard")).toBe("Careboard");
  });

  it("names every route of the app in every language", () => {
    const exists = i18n.global.te as unknown as (key: string, locale: string) => boolean;
    for (const route of routes) {
      const key = route.meta?.titleKey;
      expect(key, `route ${String(route.name)}`).toBeTruthy();
      for (const { code } of LANGUAGES) {
        expect(exists(key!, code), `${key} in ${code}`).toBe(true);
      }
    }
  });

  it("follows the route and the language", async () => {
    const {
      router,
      i18n: testI18n,
      stop,
    } = setup([
      { path: "/", component: Blank, meta: { titleKey: "board.title" } },
      { path: "/patients", component: Blank, meta: { titleKey: "patients" } },
      { path: "/untitled", component: Blank },
    ]);
    await router.push("/");
    expect(document.title).toBe("Ward board · Careboard");
    await router.push("/patients");
    expect(document.title).toBe("Patients · Careboard");
    testI18n.global.locale.value = "de";
    await router.isReady();
    await Promise.resolve();
    expect(document.title).toBe("Patienten · Careboard");
    await router.push("/untitled");
    expect(document.title).toBe("Careboard");
    stop();
  });

  it("lets a page title the tab with its data while it is shown", async () => {
    const { router, stop } = setup([{ path: "/patients/:id", component: Blank, meta: { titleKey: "patients" } }]);
    await router.push("/patients/1");
    const name = ref("");
    // eslint-disable-next-line vue/one-component-per-file -- a stand-in page
    const Page = defineComponent({
      setup() {
        usePageTitle(name);
        return () => h("h1", name.value);
      },
    });
    const wrapper = mount(Page);
    await Promise.resolve();
    // Until the name is loaded, the route's title.
    expect(document.title).toBe("Patients · Careboard");
    name.value = "Ada Lovelace";
    await Promise.resolve();
    await Promise.resolve();
    expect(document.title).toBe("Ada Lovelace · Careboard");
    wrapper.unmount();
    await Promise.resolve();
    expect(document.title).toBe("Patients · Careboard");
    stop();
  });
});
