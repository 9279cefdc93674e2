import { z } from 'zod';
import type { Queryable } from '../../db/pool.js';
import type { LeadState } from '../lead-state.js';

/**
 * An agent tool: a stable zod contract for what the model sends and what it gets back, and one
 * function that does it. The contract is what the model sees (as JSON Schema) and what we
 * validate against, so a renamed field breaks a test, not a conversation.
 */
export type ToolMode = 'stub' | 'live';

/** What a call acts on: this turn's lead state and conversation, in the configured mode. */
export type ToolContext = {
  mode: ToolMode;
  db: Queryable;
  state: LeadState;
  leadId: string;
  conversationId: string;
};

export type AgentTool<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> = {
  name: string;
  description: string;
  input: I;
  output: O;
  run(args: z.output<I>, context: ToolContext): Promise<z.input<O>>;
};

export function defineTool<I extends z.ZodType, O extends z.ZodType>(tool: AgentTool<I, O>): AgentTool<I, O> {
  return tool;
}

/** What the model gets back for a call: the tool's output, or why the call was refused. */
export type ToolResult =
  | { ok: true; name: string; output: unknown }
  | { ok: false; name: string; error: string };

// The contracts never change while the process runs: convert each schema once.
const parametersCache = new WeakMap<z.ZodType, Record<string, unknown>>();

function parametersOf(input: z.ZodType): Record<string, unknown> {
  const cached = parametersCache.get(input);
  if (cached) return cached;
  const { $schema: _ignored, ...parameters } = z.toJSONSchema(input, { io: 'input' }) as Record<
    string,
    unknown
  >;
  parametersCache.set(input, parameters);
  return parameters;
}

/** Chat Completions' function-tool shape, built from the zod input. */
export function toFunctionTool(tool: AgentTool) {
  const parameters = parametersOf(tool.input);
  return {
    type: 'function' as const,
    function: { name: tool.name, description: tool.description, parameters },
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(arguments)'}: ${issue.message}`).join('; ');
}

/**
 * Runs one call from the model. Bad JSON, an unknown tool or arguments outside the contract are
 * answered to the model as an error it can correct; they never throw into the turn.
 */
export async function runToolCall(
  tools: readonly AgentTool[],
  call: { name: string; arguments: string },
  context: ToolContext,
): Promise<ToolResult> {
  const tool = tools.find((candidate) => candidate.name === call.name);
  if (!tool) {
    const known = tools.map((t) => t.name).join(', ');
    return { ok: false, name: call.name, error: `unknown tool "${call.name}"; available: ${known}` };
  }
  let raw: unknown;
  try {
    raw = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch {
    return { ok: false, name: tool.name, error: 'arguments are not valid JSON' };
  }
  const args = tool.input.safeParse(raw);
  if (!args.success)
    return { ok: false, name: tool.name, error: `invalid arguments: ${describeIssues(args.error)}` };
  try {
    return { ok: true, name: tool.name, output: tool.output.parse(await tool.run(args.data, context)) };
  } catch (error) {
    // A failing tool (database, a broken output) costs the model this call, not the lead the turn.
    return { ok: false, name: tool.name, error: `tool failed: ${(error as Error).message}` };
  }
}
