/* The agent's domain layer: the Agent, whose operations (one module per area) the server calls. What the process imports. */
export { Agent, type AgentOptions, type DrainExpired } from './agent.js';
export { teardownDataplane } from './dataplane-owner.js';
