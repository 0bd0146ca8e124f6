/**
 * One patient's page: the record, the admission shown (the open one, else the latest), its
 * observations with the fluid balance, chart series for the chosen range, and the timeline.
 * Writes are made by the forms and dialogs (typed API modules); the store then refreshes
 * what each write changed.
 */
import { defineStore } from "pinia";
import { computed, ref } from "vue";

import {
  getAdmission,
  getSeries,
  listAdmissions,
  type Admission,
  type AdmissionSeries,
  type SeriesFieldName,
} from "@/api/admissions";
import { listObservations, type FluidBalance, type Observation } from "@/api/observations";
import { getOrganization } from "@/api/organizations";
import { getPatient, getTimeline, type Patient, type TimelineEntry } from "@/api/patients";
import { listWards, type Ward } from "@/api/wards";

export type ChartRange = "24h" | "3d" | "7d" | "admission";
export const CHART_RANGES: readonly ChartRange[] = ["24h", "3d", "7d", "admission"];

/** Every field the charts draw, fetched in one series request. */
export const SERIES_FIELDS: readonly SeriesFieldName[] = [
  "news2_total",
  "respiratory_rate",
  "spo2",
  "oxygen_flow",
  "systolic_bp",
  "diastolic_bp",
  "heart_rate",
  "temperature",
  "pain_score",
  "weight",
  "hematocrit",
  "platelets",
];

const HOUR = 3_600_000;
const RANGE_HOURS: Record<Exclude<ChartRange, "admission">, number> = { "24h": 24, "3d": 72, "7d": 168 };
const OBSERVATION_PAGE = 20;
const TIMELINE_PAGE = 15;

/** The browser's zone until the organisation's is known. */
const BROWSER_TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
const timeZones = new Map<string, string>();

/** [from, to] of a chart range, ending at the discharge for a closed admission. */
export function rangeWindow(
  range: ChartRange,
  admission: Pick<Admission, "admitted_at" | "discharged_at">,
  now = new Date(),
): { from: string; to: string } {
  const end = admission.discharged_at ? new Date(admission.discharged_at) : now;
  const admitted = new Date(admission.admitted_at ?? end);
  const start = range === "admission" ? admitted : new Date(end.getTime() - RANGE_HOURS[range] * HOUR);
  return { from: start.toISOString(), to: end.toISOString() };
}

export const usePatientStore = defineStore("patient", () => {
  const patient = ref<Patient | null>(null);
  const wards = ref<Ward[]>([]);
  const admission = ref<Admission | null>(null);
  const timeZone = ref<string>(BROWSER_TIME_ZONE);
  const observations = ref<Observation[]>([]);
  const observationsNext = ref<string | null>(null);
  const fluidBalance = ref<FluidBalance | null>(null);
  const timeline = ref<TimelineEntry[]>([]);
  const timelinePage = ref(0);
  const timelineHasMore = ref(false);
  const series = ref<AdmissionSeries | null>(null);
  const range = ref<ChartRange>("24h");
  const loading = ref(false);
  const seriesLoading = ref(false);
  const error = ref<unknown>(null);
  // Results of a load started for another patient are dropped (quick navigation).
  let generation = 0;
  let seriesRequest: AbortController | null = null;

  const isOpen = computed(() => admission.value !== null && admission.value.discharged_at === null);
  /** The newest observation that still counts (entered-in-error ones do not). */
  const latestObservation = computed(() => observations.value.find((o) => o.status !== "entered_in_error") ?? null);
  /** Defervescence in a febrile dengue patient: the physician decides on the phase. */
  const suggestsCriticalPhase = computed(
    () =>
      isOpen.value &&
      admission.value?.protocol === "dengue" &&
      admission.value.phase !== "critical" &&
      latestObservation.value?.suggests_critical_phase === true,
  );

  function reset(): void {
    patient.value = null;
    admission.value = null;
    observations.value = [];
    observationsNext.value = null;
    fluidBalance.value = null;
    timeline.value = [];
    timelinePage.value = 0;
    timelineHasMore.value = false;
    series.value = null;
    error.value = null;
  }

  /** The organisation's zone: every clinical time is shown in it, whatever the browser's. */
  async function loadTimeZone(organizationId: string | undefined): Promise<void> {
    if (!organizationId) return;
    let zone = timeZones.get(organizationId);
    if (!zone) {
      zone = (await getOrganization(organizationId)).time_zone ?? BROWSER_TIME_ZONE;
      timeZones.set(organizationId, zone);
    }
    timeZone.value = zone;
  }

  async function load(patientId: string): Promise<void> {
    const mine = ++generation;
    reset();
    loading.value = true;
    try {
      const record = await getPatient(patientId);
      if (mine !== generation) return;
      patient.value = record;
      const [shown] = await Promise.all([
        record.current_admission
          ? getAdmission(record.current_admission.id)
          : listAdmissions({ patient: patientId, page_size: 1 }).then((page) => page.results[0] ?? null),
        loadTimeZone(record.organization).catch(() => undefined),
      ]);
      if (mine !== generation) return;
      admission.value = shown;
      await Promise.all([loadObservations(), loadTimeline(), loadSeries()]);
    } catch (e) {
      if (mine === generation) error.value = e;
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  async function loadObservations(more = false): Promise<void> {
    const current = admission.value;
    if (!current) return;
    const page = await listObservations(current.id, {
      cursor: more ? observationsNext.value : null,
      page_size: OBSERVATION_PAGE,
    });
    if (admission.value?.id !== current.id) return;
    observations.value = more ? [...observations.value, ...page.results] : page.results;
    observationsNext.value = page.next;
    fluidBalance.value = page.fluid_balance;
  }

  async function loadTimeline(more = false): Promise<void> {
    const current = patient.value;
    if (!current) return;
    const page = more ? timelinePage.value + 1 : 1;
    const result = await getTimeline(current.id, { page, page_size: TIMELINE_PAGE });
    if (patient.value?.id !== current.id) return;
    timeline.value = more ? [...timeline.value, ...result.results] : result.results;
    timelinePage.value = page;
    timelineHasMore.value = result.next !== null;
  }

  async function loadSeries(): Promise<void> {
    const current = admission.value;
    if (!current) return;
    seriesRequest?.abort();
    const controller = new AbortController();
    seriesRequest = controller;
    seriesLoading.value = true;
    try {
      const result = await getSeries(
        current.id,
        { fields: SERIES_FIELDS, ...rangeWindow(range.value, current), max_points: 300 },
        controller.signal,
      );
      if (admission.value?.id === current.id) series.value = result;
    } catch (e) {
      if ((e as Error).name !== "AbortError") throw e;
    } finally {
      if (seriesRequest === controller) {
        seriesLoading.value = false;
        seriesRequest = null;
      }
    }
  }

  async function setRange(next: ChartRange): Promise<void> {
    range.value = next;
    await loadSeries();
  }

  async function refreshAdmission(): Promise<void> {
    if (admission.value) admission.value = await getAdmission(admission.value.id);
  }

  /** After a set is recorded (by the observation form): refresh what it changed. */
  async function observationRecorded(observation: Observation): Promise<void> {
    observations.value = [observation, ...observations.value.filter((o) => o.id !== observation.id)];
    await Promise.all([refreshAdmission(), loadObservations(), loadSeries(), loadTimeline()]);
  }

  function replaceObservation(updated: Observation): void {
    observations.value = observations.value.map((o) => (o.id === updated.id ? updated : o));
  }

  /** After an amendment or an entered-in-error mark: scores, due time, charts and timeline move. */
  async function observationChanged(updated: Observation): Promise<void> {
    replaceObservation(updated);
    await Promise.all([refreshAdmission(), loadObservations(), loadSeries(), loadTimeline()]);
  }

  /** After an admit, transfer, discharge, phase change or settings change. */
  async function admissionChanged(updated: Admission): Promise<void> {
    const other = admission.value?.id !== updated.id;
    admission.value = updated;
    const reloads: Promise<unknown>[] = [loadTimeline()];
    if (patient.value) reloads.push(getPatient(patient.value.id).then((p) => (patient.value = p)));
    if (other) reloads.push(loadObservations(), loadSeries());
    await Promise.all(reloads);
  }

  async function loadWards(): Promise<void> {
    if (wards.value.length) return;
    wards.value = await listWards({ archived: false });
  }

  function wardName(id: string | null | undefined): string {
    if (!id) return "";
    if (patient.value?.current_admission?.ward === id) return patient.value.current_admission.ward_name;
    return wards.value.find((w) => w.id === id)?.name ?? "";
  }

  return {
    patient,
    admission,
    timeZone,
    wards,
    observations,
    observationsNext,
    fluidBalance,
    timeline,
    timelineHasMore,
    series,
    range,
    loading,
    seriesLoading,
    error,
    isOpen,
    latestObservation,
    suggestsCriticalPhase,
    load,
    loadTimeZone,
    loadWards,
    wardName,
    loadObservations,
    loadTimeline,
    loadSeries,
    setRange,
    observationRecorded,
    observationChanged,
    admissionChanged,
  };
});
