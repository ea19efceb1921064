// An avatar the plan declares, started while the component is mounted
// with `active` and stopped when it unmounts: its stream (the provider's
// tracks, to attach to a video element) and, when the service reports the
// avatar unavailable, the fallback state: which fallback the plan chose
// (`audio_only`: speak `line` yourself, e.g. with `speechSynthesis`;
// `text`: show it) and the service's reason.

import { useCallback, useEffect, useState, useSyncExternalStore } from "react";

import { AVATAR_IDLE, AvatarSession, type AvatarSnapshot } from "./livekit";
import type { AvatarName } from "./protocol";
import { useChat } from "./ChatContext";
import type { Spoken } from "./chatService";

const never = (): (() => void) => () => undefined;

export interface AvatarView extends AvatarSnapshot {
  /** Has the avatar say `text`, or hands it to the fallback. */
  say: (text: string) => Promise<Spoken>;
}

export function useAvatar(name: AvatarName, active = true): AvatarView {
  const client = useChat();
  const [session, setSession] = useState<AvatarSession | null>(null);
  useEffect(() => {
    if (!client || !active) return;
    const started = new AvatarSession(client.transport, name);
    setSession(started);
    started.start().catch(() => undefined);
    return () => {
      void started.stop().catch(() => undefined);
      setSession((current) => (current === started ? null : current));
    };
  }, [client, name, active]);
  const snapshot = useSyncExternalStore(session ? session.listen : never, () => session?.snapshot ?? AVATAR_IDLE);
  const say = useCallback(
    (text: string) => (session ? session.say(text) : Promise.reject(new Error("the avatar is not started"))),
    [session],
  );
  return { ...snapshot, say };
}
