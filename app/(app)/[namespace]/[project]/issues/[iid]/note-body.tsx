// Rendered Markdown of a description, note or preview. The HTML comes from lib/service-desk/thread-html.ts
// (untrusted text neutralised, then sanitised), never from anything else; collapsed quoted history arrives as
// a real <details> element.
import { cx } from "@/app/_components/ui";

// No typography plugin: the few elements Markdown produces are styled here. Paragraphs keep their line
// breaks, as mail and comment writers expect.
export const markdownClass = cx(
  "text-sm leading-6 break-words text-slate-800",
  "[&_p]:my-2 [&_p]:whitespace-pre-line [&>:first-child]:mt-0 [&>:last-child]:mb-0",
  "[&_a]:text-indigo-700 [&_a]:underline [&_a:hover]:text-indigo-500",
  "[&_ul]:my-2 [&_ul]:list-disc [&_ul]:pl-6 [&_ol]:my-2 [&_ol]:list-decimal [&_ol]:pl-6 [&_li]:my-0.5",
  "[&_blockquote]:my-2 [&_blockquote]:border-l-4 [&_blockquote]:border-slate-200 [&_blockquote]:pl-3 [&_blockquote]:text-slate-600",
  "[&_code]:rounded [&_code]:bg-slate-100 [&_code]:px-1 [&_code]:font-mono [&_code]:text-[0.85em]",
  "[&_pre]:my-2 [&_pre]:overflow-x-auto [&_pre]:rounded-md [&_pre]:bg-slate-900 [&_pre]:p-3 [&_pre]:text-slate-100",
  "[&_pre_code]:bg-transparent [&_pre_code]:p-0 [&_pre_code]:text-slate-100",
  "[&_h1]:mt-4 [&_h1]:mb-2 [&_h1]:text-lg [&_h1]:font-semibold [&_h2]:mt-4 [&_h2]:mb-2 [&_h2]:text-base [&_h2]:font-semibold",
  "[&_h3]:mt-3 [&_h3]:mb-1 [&_h3]:font-semibold [&_h4]:font-semibold [&_h5]:font-semibold [&_h6]:font-semibold",
  "[&_hr]:my-4 [&_hr]:border-slate-200 [&_img]:max-w-full [&_table]:my-2 [&_td]:border [&_td]:px-2 [&_th]:border [&_th]:px-2",
  "[&_details]:mt-3 [&_details]:text-slate-500 [&_summary]:cursor-pointer [&_summary]:text-xs [&_summary]:select-none",
  "[&_details>:not(summary)]:ml-0.5 [&_details>:not(summary)]:border-l-2 [&_details>:not(summary)]:border-slate-200 [&_details>:not(summary)]:pl-3",
);

export function NoteBody({ html, className, testId }: { html: string; className?: string; testId?: string }) {
  return <div className={cx(markdownClass, className)} data-testid={testId} dangerouslySetInnerHTML={{ __html: html }} />;
}
