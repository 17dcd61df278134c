// Rendered Markdown of a description, note or preview. The HTML comes from lib/service-desk/thread-html.ts
// (untrusted text neutralised, then sanitised), never from anything else; collapsed quoted history arrives as
// a real <details> element.
import { cx } from "@/app/_components/ui";

// No typography plugin: the few elements Markdown produces are styled by `.markdown-body` (app/globals.css).
// Paragraphs keep their line breaks, as mail and comment writers expect.
export const markdownClass = "markdown-body";

export function NoteBody({ html, className, testId }: { html: string; className?: string; testId?: string }) {
  return <div className={cx(markdownClass, className)} data-testid={testId} dangerouslySetInnerHTML={{ __html: html }} />;
}
