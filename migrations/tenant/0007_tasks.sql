ALTER TABLE "task_runs" ALTER COLUMN "status" SET DEFAULT 'running';--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "scheduled_for" timestamp with time zone NOT NULL;--> statement-breakpoint
ALTER TABLE "task_runs" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "timezone" text DEFAULT 'UTC' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "anchor_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "context" text DEFAULT 'conversation' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "missed_policy" text DEFAULT 'skip' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "task_run_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "task_runs_once" ON "task_runs" USING btree ("task_id","scheduled_for");--> statement-breakpoint
ALTER TABLE "task_runs" DROP COLUMN "result";