// Files that came with a customer's mail, under the description or the note they arrived with.
export interface ThreadAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1048576) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1048576).toFixed(1)} MB`;
}

export function ThreadAttachments({ files }: { files: ThreadAttachment[] }) {
  if (files.length === 0) return null;
  return (
    <ul aria-label="Attachments" className="mt-3 flex flex-wrap gap-2">
      {files.map((file) => (
        <li key={file.id}>
          <a
            href={`/api/attachments/${file.id}`}
            download={file.filename}
            className="inline-flex max-w-xs items-center gap-1.5 rounded-md border border-slate-200 bg-slate-50 px-2 py-1 text-xs text-slate-700 hover:border-indigo-300 hover:text-indigo-700"
            title={`${file.filename} (${file.contentType})`}
          >
            <span aria-hidden>📎</span>
            <span className="truncate">{file.filename}</span>
            <span className="shrink-0 text-slate-500">{formatBytes(file.size)}</span>
          </a>
        </li>
      ))}
    </ul>
  );
}
