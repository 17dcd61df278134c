// Sign-in pages: a centred card without the app chrome.
export default function AuthLayout({ children }: { children: React.ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-8 flex items-center justify-center gap-2 text-lg font-semibold">
          <span className="grid size-8 place-items-center rounded bg-indigo-600 text-sm text-white">SD</span>
          Service Desk
        </div>
        {children}
      </div>
    </main>
  );
}
