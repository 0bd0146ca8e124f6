/**
 * Native HTML5 drag and drop between the exercise picker and the sessions. The payload travels
 * in the DataTransfer under our own types; during dragover only the types can be read, which
 * is enough to decide whether a drop is welcome.
 */
import type { Exercise } from "@/api/exercises";

export const ITEM_TYPE = "application/x-careboard-item";
export const EXERCISE_TYPE = "application/x-careboard-exercise";

export type Dropped = { kind: "item"; key: string } | { kind: "exercise"; exercise: Exercise };

export function accepts(event: DragEvent): boolean {
  const types = event.dataTransfer?.types ?? [];
  return types.includes(ITEM_TYPE) || types.includes(EXERCISE_TYPE);
}

export function dropEffect(event: DragEvent): "move" | "copy" {
  return event.dataTransfer?.types.includes(ITEM_TYPE) ? "move" : "copy";
}

export function startItemDrag(event: DragEvent, key: string, label: string, image?: Element | null): void {
  if (!event.dataTransfer) return;
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData(ITEM_TYPE, key);
  event.dataTransfer.setData("text/plain", label);
  if (image) event.dataTransfer.setDragImage(image, 16, 16);
}

export function startExerciseDrag(event: DragEvent, exercise: Exercise): void {
  if (!event.dataTransfer) return;
  event.dataTransfer.effectAllowed = "copy";
  event.dataTransfer.setData(EXERCISE_TYPE, JSON.stringify(exercise));
  event.dataTransfer.setData("text/plain", exercise.display?.name || exercise.name);
}

export function readDrop(event: DragEvent): Dropped | null {
  const data = event.dataTransfer;
  if (!data) return null;
  const key = data.getData(ITEM_TYPE);
  if (key) return { kind: "item", key };
  const raw = data.getData(EXERCISE_TYPE);
  if (!raw) return null;
  try {
    return { kind: "exercise", exercise: JSON.parse(raw) as Exercise };
  } catch {
    return null;
  }
}

/** Before (index) or after (index + 1) the row under the pointer, by which half it is in. */
export function dropIndexAt(event: DragEvent, row: Element, index: number): number {
  const box = row.getBoundingClientRect();
  return event.clientY < box.top + box.height / 2 ? index : index + 1;
}
