// Who is on a channel with presence. Presence is eventually consistent: a
// member whose connection vanished without a goodbye stays listed until
// the service's idle timeout or sweep removes it.

import { useSyncExternalStore } from "react";

import type { Member } from "./protocol";
import { useChannelStore } from "./ChatContext";

const none: Member[] = [];
const never = (): (() => void) => () => undefined;

export function usePresence(channel: string): Member[] {
  const store = useChannelStore(channel);
  return useSyncExternalStore(store ? store.listen : never, () => store?.members ?? none);
}
