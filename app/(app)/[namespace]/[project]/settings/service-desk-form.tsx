"use client";
// The Service Desk settings form (everything but the on/off switch, which saves at once): alias suffix with the
// resulting address, From name, the issue template appended to new issues, and the behaviour toggles.
import { zodResolver } from "@hookform/resolvers/zod";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useForm, useWatch } from "react-hook-form";
import { applyResult } from "@/app/_components/action-form";
import { CopyButton } from "@/app/_components/copy-button";
import { Button, cx, Field, FormError, inputClass } from "@/app/_components/ui";
import { serviceDeskSettingsSchema, type ServiceDeskSettingsInput } from "@/lib/schemas";
import { updateServiceDeskSettingsAction } from "./actions";
import { SavedStatus, useFlash } from "./saved-status";

const formSchema = serviceDeskSettingsSchema.omit({ enabled: true });
type FormValues = Omit<ServiceDeskSettingsInput, "enabled">;
const FIELDS = Object.keys(formSchema.shape);

type ToggleField = "ticketsConfidentialByDefault" | "reopenIssueOnExternalParticipantNote" | "addExternalParticipantsFromCc" | "sendThankYouEmail" | "emailOnClose";

const TOGGLES: { field: ToggleField; label: string; hint: string }[] = [
  {
    field: "ticketsConfidentialByDefault",
    label: "Tickets are confidential by default",
    hint: "New Service Desk issues are visible to Reporters and up only. Turn off to let Guests see them too.",
  },
  {
    field: "reopenIssueOnExternalParticipantNote",
    label: "Reopen issue on customer reply",
    hint: "A closed issue opens again when the customer (or another email participant) answers by mail.",
  },
  {
    field: "addExternalParticipantsFromCc",
    label: "Add Cc recipients as participants",
    hint: "Addresses in Cc of the first mail also receive the team's public comments.",
  },
  {
    field: "sendThankYouEmail",
    label: "Send thank-you email",
    hint: "Confirm each new request to its sender with the thank_you template.",
  },
  {
    field: "emailOnClose",
    label: "Email the customer when an issue is closed",
    hint: "Participants get the issue_closed template when the issue is closed.",
  },
];

function withoutEnabled({ enabled, ...rest }: ServiceDeskSettingsInput): FormValues {
  void enabled; // saved by the switch, not by this form
  return rest;
}

interface Props {
  projectPath: string;
  values: FormValues;
  alias: { before: string; after: string; address: string | null } | null;
  defaultOutgoingName: string;
  issueTemplates: string[];
}

export function ServiceDeskSettingsForm({ projectPath, values, alias, defaultOutgoingName, issueTemplates }: Props) {
  const router = useRouter();
  const [saved, flash] = useFlash();
  const form = useForm<FormValues>({ resolver: zodResolver(formSchema), defaultValues: values });
  const { errors, isSubmitting, isDirty } = form.formState;
  const [suffix, chosenTemplate] = useWatch({ control: form.control, name: ["projectKey", "issueTemplateKey"] });
  const chosenIsMissing = !!chosenTemplate && !issueTemplates.includes(chosenTemplate);

  const onSubmit = form.handleSubmit(async (input) => {
    const result = await updateServiceDeskSettingsAction({ projectPath, ...input });
    if (applyResult(result, form.setError, FIELDS)) {
      form.reset(withoutEnabled(result.data.values));
      flash("Service Desk settings saved.");
      router.refresh();
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-6" aria-label="Service Desk settings">
      <FormError message={errors.root?.server?.message} />

      {alias && (
        <Field
          label="Alias address suffix"
          htmlFor="sd-project-key"
          error={errors.projectKey?.message}
          hint="Lower-case letters, digits and underscores. Leave empty for no alias address."
        >
          <div
            className={cx(
              "flex items-stretch overflow-hidden rounded-md font-mono text-sm shadow-sm ring-1 ring-inset focus-within:ring-2 focus-within:ring-indigo-600",
              errors.projectKey ? "ring-red-400" : "ring-slate-300",
            )}
          >
            <span className="flex max-w-[50%] items-center truncate bg-slate-50 px-3 text-slate-500" title={alias.before}>
              {alias.before}
            </span>
            <input
              id="sd-project-key"
              className="min-w-0 flex-1 border-0 px-2 py-2 text-slate-900 focus:ring-0 focus:outline-none"
              autoComplete="off"
              spellCheck={false}
              maxLength={255}
              placeholder="support"
              defaultValue={values.projectKey}
              aria-invalid={!!errors.projectKey}
              aria-describedby="sd-alias-result"
              {...form.register("projectKey")}
            />
            <span className="flex items-center truncate bg-slate-50 px-3 text-slate-500">{alias.after}</span>
          </div>
          <p id="sd-alias-result" className="mt-1 flex flex-wrap items-center gap-2 text-xs text-slate-600">
            {suffix?.trim() ? (
              <>
                Alias address: <code className="rounded bg-slate-100 px-1">{`${alias.before}${suffix.trim()}${alias.after}`}</code>
                {alias.address && alias.address === `${alias.before}${suffix.trim()}${alias.after}` ? (
                  <CopyButton value={alias.address} />
                ) : (
                  <span className="text-slate-500">(save to use it)</span>
                )}
              </>
            ) : (
              "No alias address."
            )}
          </p>
        </Field>
      )}

      <Field
        label="Email display name"
        htmlFor="sd-outgoing-name"
        error={errors.outgoingName?.message}
        hint={`The From name of mail to customers. Empty means “${defaultOutgoingName}”.`}
      >
        <input
          id="sd-outgoing-name"
          className={inputClass}
          placeholder={defaultOutgoingName}
          maxLength={255}
          defaultValue={values.outgoingName}
          aria-invalid={!!errors.outgoingName}
          {...form.register("outgoingName")}
        />
      </Field>

      <Field
        label="Issue template"
        htmlFor="sd-issue-template"
        error={errors.issueTemplateKey?.message}
        hint={
          <>
            Appended to the description of every new Service Desk issue.{" "}
            <Link href={`/${projectPath}/templates`} className="text-indigo-700 underline">
              Manage description templates
            </Link>
          </>
        }
      >
        <select id="sd-issue-template" className={inputClass} defaultValue={values.issueTemplateKey} aria-invalid={!!errors.issueTemplateKey} {...form.register("issueTemplateKey")}>
          <option value="">None</option>
          {issueTemplates.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
          {chosenIsMissing && <option value={chosenTemplate}>{chosenTemplate} (deleted)</option>}
        </select>
      </Field>
      {chosenIsMissing && (
        <p role="alert" className="-mt-4 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-800">
          The template “{chosenTemplate}” no longer exists. New issues still arrive, without it, and get a note saying so. Choose
          another template or None.
        </p>
      )}

      <fieldset className="space-y-3">
        <legend className="mb-2 text-sm font-medium text-slate-700">Behaviour</legend>
        {TOGGLES.map(({ field, label, hint }) => (
          <label key={field} className="flex items-start gap-2 text-sm">
            <input type="checkbox" className="mt-0.5 size-4 rounded border-slate-300" defaultChecked={values[field]} {...form.register(field)} />
            <span>
              <span className="font-medium text-slate-800">{label}</span>
              <span className="block text-slate-500">{hint}</span>
            </span>
          </label>
        ))}
      </fieldset>

      <div className="flex flex-wrap items-center justify-end gap-3">
        <SavedStatus message={saved} />
        {isDirty && !isSubmitting && <span className="text-xs text-slate-500">Unsaved changes</span>}
        <Button type="submit" pending={isSubmitting}>
          {isSubmitting ? "Saving…" : "Save changes"}
        </Button>
      </div>
    </form>
  );
}
