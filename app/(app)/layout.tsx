// Signed-in area: top bar with the user's menu, and the tab's live connection (LiveProvider); every page below
// checks access itself as well.
import Link from "next/link";
import { LiveProvider } from "@/app/_components/live/live-provider";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { getActor } from "@/lib/auth/session";
import { mailFailureCounts } from "@/lib/data/mail-log";
import { pendingTodoCount } from "@/lib/data/todos";
import { env } from "@/lib/env";

export default async function AppLayout({ children }: { children: React.ReactNode }) {
  const actor = await getActor();
  // Admins see failures on every page, so mail that could not be processed or sent does not rot unseen.
  const [failures, todoCount] = await Promise.all([mailFailureCounts(actor), pendingTodoCount(actor)]);
  const failureTotal = failures ? failures.inbound + failures.outbound : 0;
  return (
    <div className="flex min-h-screen flex-col">
      <header className="bg-slate-900 text-white">
        <div className="mx-auto flex h-12 max-w-7xl items-center gap-6 px-4">
          <Link href="/" className="flex items-center gap-2 font-semibold">
            <span className="grid size-6 place-items-center rounded bg-indigo-500 text-xs">SD</span>
            Service Desk
          </Link>
          {actor && (
            <nav className="flex gap-1 text-sm">
              <Link href="/" className="rounded-md px-2 py-1 text-slate-300 hover:bg-slate-800 hover:text-white">
                Projects
              </Link>
              <Link
                href="/todos"
                aria-label={`To-Do list, ${todoCount} pending`}
                className="flex items-center gap-1.5 rounded-md px-2 py-1 text-slate-300 hover:bg-slate-800 hover:text-white"
              >
                To-Do
                {todoCount > 0 && <span className="rounded-full bg-indigo-500 px-1.5 text-xs font-semibold text-white">{todoCount > 99 ? "99+" : todoCount}</span>}
              </Link>
              {actor.isAdmin && (
                <Link
                  href={failureTotal ? `/admin/mail?status=failed${failures?.inbound ? "" : "&tab=outbound"}` : "/admin/mail"}
                  className="flex items-center gap-1.5 rounded-md px-2 py-1 text-slate-300 hover:bg-slate-800 hover:text-white"
                >
                  Mail log
                  {failureTotal > 0 && (
                    <span
                      className="rounded-full bg-red-500 px-1.5 text-xs font-semibold text-white"
                      title={`${failures?.inbound} inbound and ${failures?.outbound} outgoing mails failed`}
                    >
                      {failureTotal} failed
                    </span>
                  )}
                </Link>
              )}
            </nav>
          )}
          <div className="ml-auto flex items-center gap-3 text-sm">
            {actor ? (
              <>
                <Link href="/profile/tokens" className="text-slate-300 hover:text-white" title="Access tokens">
                  Tokens
                </Link>
                <Link href="/profile/notifications" className="text-slate-300 hover:text-white" title="Notification settings">
                  Notifications
                </Link>
                <span className="text-slate-300" title={actor.email}>
                  {actor.name ?? actor.username}
                  {actor.isAdmin && <span className="ml-2 rounded bg-amber-500/20 px-1.5 py-0.5 text-xs text-amber-200">admin</span>}
                </span>
                <SignOutButton />
              </>
            ) : (
              <Link href="/sign-in" className="rounded-md px-2 py-1 text-slate-300 hover:bg-slate-800 hover:text-white">
                Sign in
              </Link>
            )}
          </div>
        </div>
      </header>
      <div className="flex-1">{actor ? <LiveProvider mode={env().LIVE_UPDATES}>{children}</LiveProvider> : children}</div>
    </div>
  );
}
