// Where next-auth sends a browser after a link was requested without JavaScript.
import Link from "next/link";
import { Card } from "@/app/_components/ui";
import { env } from "@/lib/env";

export default function CheckEmailPage() {
  const dev = !env().isProduction && !env().SENDGRID_API_KEY;
  return (
    <Card className="space-y-3 p-6 text-sm">
      <h1 className="text-lg font-semibold">Check your email</h1>
      <p className="text-slate-600">If this address may sign in here, a sign-in link is on its way. It works once and expires in 30 minutes.</p>
      <p className="text-slate-600">Nothing after a few minutes? Look in your spam folder; a few links an hour are sent to one address.</p>
      {dev && (
        <p className="rounded-md bg-amber-50 px-3 py-2 text-amber-800">
          Development: open the <Link className="font-medium underline" href="/dev/mailbox">dev mailbox</Link> to find the link.
        </p>
      )}
      <Link href="/sign-in" className="text-indigo-600 hover:underline">
        Back to sign in
      </Link>
    </Card>
  );
}
