// Reading a server-sent-events stream in tests: the complete frames of what arrived so far, as {event, data}.

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Appends the complete frames in `buffer` to `events` and returns what is left of an unfinished frame. */
export function takeSseFrames(buffer: string, events: SseEvent[]): string {
  let rest = buffer;
  let end;
  while ((end = rest.indexOf("\n\n")) >= 0) {
    const frame = rest.slice(0, end);
    rest = rest.slice(end + 2);
    const event = /^event: (.+)$/m.exec(frame)?.[1];
    const data = /^data: (.+)$/m.exec(frame)?.[1];
    if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
  }
  return rest;
}
