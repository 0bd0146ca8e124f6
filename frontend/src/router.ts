/** Routes. Every view is loaded lazily; the portal has its own layout and no sign-in. */
import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";

export const routes: RouteRecordRaw[] = [
  { path: "/", name: "home", component: () => import("@/views/HomeView.vue") },
  { path: "/wards/:wardId", name: "ward-board", component: () => import("@/views/WardBoardView.vue"), props: true },
  { path: "/critical", name: "critical", component: () => import("@/views/CriticalListView.vue") },
  { path: "/patients", name: "patients", component: () => import("@/views/PatientsView.vue") },
  { path: "/patients/:patientId", name: "patient", component: () => import("@/views/PatientView.vue"), props: true },
  { path: "/library", name: "library", component: () => import("@/views/ExerciseLibraryView.vue") },
  { path: "/programs", name: "programs", component: () => import("@/views/ProgramsView.vue") },
  { path: "/programs/:programId", name: "program", component: () => import("@/views/ProgramEditorView.vue"), props: true },
  { path: "/assignments", name: "assignments", component: () => import("@/views/AssignmentsView.vue") },
  { path: "/assignments/:assignmentId", name: "assignment", component: () => import("@/views/AssignmentView.vue"), props: true },
  { path: "/settings", name: "settings", component: () => import("@/views/SettingsView.vue") },
  { path: "/about", name: "about", component: () => import("@/views/AboutView.vue") },
  { path: "/portal", name: "portal", component: () => import("@/views/PortalView.vue"), meta: { portal: true } },
  { path: "/:rest(.*)*", name: "not-found", component: () => import("@/views/NotFoundView.vue") },
];

export const router = createRouter({ history: createWebHistory("/"), routes });

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
