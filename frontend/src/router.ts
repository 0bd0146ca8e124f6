/** Routes. Every view is loaded lazily; the portal has its own layout and no sign-in. */
import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";

import { followPageTitles } from "@/composables/usePageTitle";
import { i18n } from "@/i18n";

declare module "vue-router" {
  interface RouteMeta {
    /** The page's name in the browser tab ("<page> · Careboard"): a key of the i18n messages. */
    titleKey?: string;
    /** The patient portal: its own layout, no sign-in. */
    portal?: boolean;
  }
}

export const routes: RouteRecordRaw[] = [
  { path: "/", name: "home", component: () => import("@/views/HomeView.vue"), meta: { titleKey: "board.title" } },
  {
    path: "/wards/:wardId",
    name: "ward-board",
    component: () => import("@/views/WardBoardView.vue"),
    props: true,
    meta: { titleKey: "board.title" },
  },
  {
    path: "/critical",
    name: "critical",
    component: () => import("@/views/CriticalListView.vue"),
    meta: { titleKey: "board.critical.title" },
  },
  {
    path: "/patients",
    name: "patients",
    component: () => import("@/views/PatientsView.vue"),
    meta: { titleKey: "patient.list.patients" },
  },
  {
    path: "/patients/:patientId",
    name: "patient",
    component: () => import("@/views/PatientView.vue"),
    props: true,
    meta: { titleKey: "patient.list.patients" },
  },
  {
    path: "/library",
    name: "library",
    component: () => import("@/views/ExerciseLibraryView.vue"),
    meta: { titleKey: "builder.library.title" },
  },
  {
    path: "/programs",
    name: "programs",
    component: () => import("@/views/ProgramsView.vue"),
    meta: { titleKey: "builder.programs.title" },
  },
  {
    path: "/programs/:programId",
    name: "program",
    component: () => import("@/views/ProgramEditorView.vue"),
    props: true,
    meta: { titleKey: "builder.programs.title" },
  },
  {
    path: "/assignments",
    name: "assignments",
    component: () => import("@/views/AssignmentsView.vue"),
    meta: { titleKey: "builder.assignments.title" },
  },
  {
    path: "/assignments/:assignmentId",
    name: "assignment",
    component: () => import("@/views/AssignmentView.vue"),
    props: true,
    meta: { titleKey: "builder.assignment.title" },
  },
  {
    path: "/settings",
    name: "settings",
    component: () => import("@/views/SettingsView.vue"),
    meta: { titleKey: "settings.title" },
  },
  {
    path: "/about",
    name: "about",
    component: () => import("@/views/AboutView.vue"),
    meta: { titleKey: "about.title" },
  },
  {
    path: "/portal",
    name: "portal",
    component: () => import("@/views/PortalView.vue"),
    meta: { portal: true, titleKey: "portal.title" },
  },
  {
    path: "/:rest(.*)*",
    name: "not-found",
    component: () => import("@/views/NotFoundView.vue"),
    meta: { titleKey: "about.notFound.title" },
  },
];

export const router = createRouter({ history: createWebHistory("/"), routes });

// Typed loosely: the keys come from route records, and the messages' full type is too deep to check here.
const translate = (i18n.global as unknown as { t: (key: string) => string }).t;
followPageTitles(router, (key) => translate(key));

// After a page change, move focus to the new page's heading so keyboard and screen-reader
// users start at its top (the first load keeps the browser's own focus).
router.afterEach((to, from) => {
  // Not on the first load, nor when only the query changes (tabs, searches keep their focus).
  if (!from.matched.length || to.path === from.path) return;
  window.setTimeout(() => {
    const heading = document.querySelector<HTMLElement>("main h1, h1");
    if (!heading) return;
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }, 50);
});
