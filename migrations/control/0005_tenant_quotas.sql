ALTER TABLE "control"."tenants" ADD COLUMN "max_api_keys" integer;--> statement-breakpoint
ALTER TABLE "control"."tenants" ADD COLUMN "max_conversations" integer;--> statement-breakpoint
ALTER TABLE "control"."tenants" ADD COLUMN "workspace_bytes" bigint;--> statement-breakpoint
ALTER TABLE "control"."tenants" ADD COLUMN "turn_max_outputs" integer;--> statement-breakpoint
ALTER TABLE "control"."tenants" ADD COLUMN "turn_max_output_bytes" integer;--> statement-breakpoint
ALTER TABLE "control"."tenants" ADD COLUMN "sandbox_cpu_percent" integer;