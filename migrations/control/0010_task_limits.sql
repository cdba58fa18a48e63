ALTER TABLE "control"."tenants" ADD COLUMN "max_active_tasks" integer;--> statement-breakpoint
ALTER TABLE "control"."tenants" ADD COLUMN "task_min_interval_seconds" integer;