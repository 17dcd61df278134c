"use client";
// Follows a link to a note (#note_123) that the windowed thread left out: loads the whole thread at that note.
import { useEffect } from "react";

export function NoteAnchor({ allNotesHref }: { allNotesHref: string }) {
  useEffect(() => {
    const follow = () => {
      const target = /^#(note_\d+)$/.exec(window.location.hash)?.[1];
      if (target && !document.getElementById(target)) window.location.replace(`${allNotesHref}#${target}`);
    };
    follow();
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, [allNotesHref]);
  return null;
}
