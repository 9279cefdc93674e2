import { searchKnowledgeTool } from './knowledge-tool.js';
import { closeColdLeadTool, handoffTool, updateLeadTool } from './lead-tools.js';
import { createCompanyTool, createQuoteRequestTool } from './record-tools.js';
import type { AgentTool } from './tool.js';

/** The agent's tools, in the order the model sees them; each call gets the turn's ToolContext. */
export const AGENT_TOOLS = [
  updateLeadTool,
  createQuoteRequestTool,
  createCompanyTool,
  searchKnowledgeTool,
  handoffTool,
  closeColdLeadTool,
] as unknown as readonly AgentTool[];
