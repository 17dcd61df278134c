// A system note's text, with its `[label](https://…)` links as links (the notes code hosts leave: "closed via
// merge request [!45](…) in acme/game"). Everything else stays plain text; only http(s) targets become links.
const LINK = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]{1,2048})\)/g;

export function SystemNoteText({ body }: { body: string }) {
  const parts: React.ReactNode[] = [];
  let last = 0;
  for (const match of body.matchAll(LINK)) {
    if (match.index > last) parts.push(body.slice(last, match.index));
    parts.push(
      <a key={match.index} href={match[2]} className="font-medium text-indigo-700 hover:underline" target="_blank" rel="noreferrer noopener">
        {match[1]}
      </a>,
    );
    last = match.index + match[0].length;
  }
  if (last < body.length) parts.push(body.slice(last));
  return <>{parts}</>;
}
