/**
 * A polite live region for the program editor: moves, adds and removals are announced to
 * screen-reader users, who do not see an item land. The editor view provides it.
 */
import { inject, type InjectionKey } from "vue";

export type Announce = (message: string) => void;
export const announceKey: InjectionKey<Announce> = Symbol("announce");

export function useAnnounce(): Announce {
  return inject(announceKey, () => undefined);
}
