/** The exercise library (GET /api/v1/exercises/), with the vocabularies its filters use. */
import { api, type Page } from "@/api/http";
import type { components, operations } from "@/api/schema";

export type Exercise = components["schemas"]["Exercise"];
export type ExerciseSummary = components["schemas"]["ExerciseSummary"];
export type BodyRegion = components["schemas"]["BodyRegionsEnum"];
export type Equipment = components["schemas"]["EquipmentEnum"];
export type Difficulty = components["schemas"]["DifficultyEnum"];
export type Position = components["schemas"]["PositionEnum"];

// In the order a therapist scans them (head to foot), not alphabetical: labels are translated.
export const BODY_REGIONS: readonly BodyRegion[] = [
  "neck",
  "shoulder",
  "upper_back",
  "chest",
  "elbow",
  "wrist_hand",
  "core",
  "lower_back",
  "hip",
  "knee",
  "ankle_foot",
  "full_body",
];
export const EQUIPMENT: readonly Equipment[] = [
  "none",
  "mat",
  "chair",
  "wall",
  "step",
  "towel",
  "resistance_band",
  "dumbbell",
  "kettlebell",
  "ball",
  "foam_roller",
  "balance_pad",
];
export const DIFFICULTIES: readonly Difficulty[] = ["easy", "moderate", "hard"];
export const POSITIONS: readonly Position[] = [
  "standing",
  "sitting",
  "lying_back",
  "lying_front",
  "side_lying",
  "kneeling",
  "hands_knees",
];

export interface ExerciseFilters {
  search?: string;
  body_region?: BodyRegion | "";
  equipment?: Equipment | "";
  difficulty?: Difficulty | "";
  position?: Position | "";
  page?: number;
  page_size?: number;
}

type ListQuery = NonNullable<operations["exercises_list"]["parameters"]["query"]>;

export function listExercises(filters: ExerciseFilters = {}, signal?: AbortSignal): Promise<Page<Exercise>> {
  const query: Record<keyof ListQuery & keyof ExerciseFilters, string | number | undefined> = {
    search: filters.search?.trim() || undefined,
    body_region: filters.body_region || undefined,
    equipment: filters.equipment || undefined,
    difficulty: filters.difficulty || undefined,
    position: filters.position || undefined,
    page: filters.page,
    page_size: filters.page_size,
  };
  return api.get<Page<Exercise>>("/api/v1/exercises/", { query: { ...query, archived: false }, signal });
}
