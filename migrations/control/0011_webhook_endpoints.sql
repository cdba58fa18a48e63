ALTER TABLE "control"."tenants" ADD COLUMN "max_webhook_endpoints" integer;--> statement-breakpoint
ALTER TABLE "control"."webhook_endpoints" DROP COLUMN "url";--> statement-breakpoint
ALTER TABLE "control"."webhook_endpoints" DROP COLUMN "secret";--> statement-breakpoint
ALTER TABLE "control"."webhook_endpoints" DROP COLUMN "events";--> statement-breakpoint
ALTER TABLE "control"."webhook_endpoints" DROP COLUMN "disabled_at";