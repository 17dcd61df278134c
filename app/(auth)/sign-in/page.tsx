// Sign-in: magic link by email, plus GitHub/GitLab when configured.
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Card } from "@/app/_components/ui";
import { signInProviders } from "@/lib/auth/options";
import { getActor } from "@/lib/auth/session";
import { env } from "@/lib/env";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

const ERRORS: Record<string, string> = {
  Verification: "That sign-in link has expired or was already used. Ask for a new one below.",
  EmailSignin: "We could not send the sign-in email. Try again in a moment.",
  AccessDenied: "This account cannot sign in.",
  OAuthAccountNotLinked: "That email already signs in another way: use the email link instead.",
};

const SIGN_UP_BY_LINK =
  "This account cannot sign in here. New accounts start with the email link below, for an invited address or one this instance accepts.";

function safeCallback(value: string | undefined): string {
  // Only same-site paths: an open redirect after sign-in would help phishing.
  return value && value.startsWith("/") && !value.startsWith("//") ? value : "/";
}

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const params = await searchParams;
  const callbackUrl = safeCallback(params.callbackUrl);
  if (await getActor()) redirect(callbackUrl);
  // Refused by the sign-up policy (OAuth newcomers): say how an account is made here instead.
  const accessDenied = env().SIGNUP_POLICY === "open" ? ERRORS.AccessDenied : SIGN_UP_BY_LINK;
  const error = params.error ? (params.error === "AccessDenied" ? accessDenied : (ERRORS[params.error] ?? "Sign-in failed. Try again.")) : undefined;
  return (
    <Card className="p-6">
      <h1 className="text-lg font-semibold">Sign in</h1>
      <p className="mt-1 text-sm text-slate-600">We email you a link; no password needed.</p>
      <div className="mt-6">
        <SignInForm
          callbackUrl={callbackUrl}
          error={error}
          oauth={signInProviders().filter((p) => p.id !== "email")}
          devMailbox={!env().isProduction && !env().SENDGRID_API_KEY}
        />
      </div>
    </Card>
  );
}
