ALTER TABLE "control"."tenants" ADD COLUMN "retain_messages_days" integer;--> statement-breakpoint
ALTER TABLE "control"."tenants" ADD COLUMN "retain_turns_days" integer;--> statement-breakpoint
ALTER TABLE "control"."tenants" ADD COLUMN "retain_archives_days" integer;