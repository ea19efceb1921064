// A LiveKit room the plan declares, joined while the component is mounted,
// with a room token the service issues for the caller's role
// (`POST /livekit/token`): the connection status, the tracks (attach them
// to media elements with `track.attach()`), each participant's connection
// quality and the reconnection count. `null` leaves no room joined.

import { useEffect, useState, useSyncExternalStore } from "react";
import type { Room } from "livekit-client";

import { LiveRoom, ROOM_IDLE, type RoomSnapshot } from "./livekit";
import type { RoomName } from "./protocol";
import { useChat } from "./ChatContext";
import { roomToken } from "./chatService";

const never = (): (() => void) => () => undefined;

export interface RoomView extends RoomSnapshot {
  /** The joined `Room` (to publish the camera, say), `null` before. */
  current: Room | null;
}

export function useRoom(room: RoomName | null): RoomView {
  const client = useChat();
  const [live, setLive] = useState<LiveRoom | null>(null);
  useEffect(() => {
    if (!client || room === null) return;
    const joined = new LiveRoom({ grant: () => roomToken(client.transport, room) });
    joined.join();
    setLive(joined);
    return () => {
      void joined.leave();
      setLive((current) => (current === joined ? null : current));
    };
  }, [client, room]);
  const snapshot = useSyncExternalStore(live ? live.listen : never, () => live?.snapshot ?? ROOM_IDLE);
  return { ...snapshot, current: live?.room ?? null };
}
