// A note's text with its collapsed quoted history (the `<details>` block intake appends to mail replies)
// shown as a real disclosure — as text, never as HTML.
const QUOTE = /\n*<details><summary>Quoted text<\/summary>\n\n([\s\S]*?)\n\n<\/details>\s*$/;

export function NoteBody({ body }: { body: string }) {
  const match = QUOTE.exec(body);
  const visible = match ? body.slice(0, match.index) : body;
  return (
    <div className="text-sm whitespace-pre-wrap text-slate-800">
      {visible}
      {match && (
        <details className="mt-3 text-slate-500">
          <summary className="cursor-pointer text-xs select-none">Quoted text</summary>
          <div className="mt-2 border-l-2 border-slate-200 pl-3">{match[1]}</div>
        </details>
      )}
    </div>
  );
}
