/**
 * The models this node pretends to have pulled. Everything `/api/tags` shows is
 * derived from the name alone, so two nodes started with the same list report
 * byte-identical catalogues (clients cache digests).
 */
import { createHash } from 'node:crypto';
import { AiNodeError } from './http-io.ts';

export const DEFAULT_MODELS = ['runplane-mock:latest', 'runplane-embed:latest'];

/** What a model can do, in Ollama's capability words. */
export type Capability = 'completion' | 'embedding';

export interface MockModel {
  /** Full name with tag, e.g. `runplane-mock:latest`. */
  name: string;
  capabilities: Capability[];
}

/** One entry of `GET /api/tags`, field for field as Ollama writes it. */
export interface TagEntry {
  name: string;
  model: string;
  modified_at: string;
  size: number;
  digest: string;
  details: {
    parent_model: string;
    format: string;
    family: string;
    families: string[];
    parameter_size: string;
    quantization_level: string;
  };
}

/** A fixed date rather than "now", so the catalogue is the same on every start. */
const MODIFIED_AT = '2025-01-01T00:00:00Z';

/** Ollama treats `llama3` and `llama3:latest` as the same model. */
export function normaliseModelName(name: string): string {
  const trimmed = name.trim();
  const lastSegment = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? trimmed : `${trimmed}:latest`;
}

/** Embedding-only models are recognised by name, the way their real counterparts are usually named. */
function capabilitiesOf(name: string): Capability[] {
  return /embed/i.test(name) ? ['embedding'] : ['completion', 'embedding'];
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class ModelCatalog {
  private readonly models = new Map<string, MockModel>();

  constructor(names: readonly string[] = DEFAULT_MODELS) {
    for (const raw of names) {
      const name = normaliseModelName(raw);
      this.models.set(name, { name, capabilities: capabilitiesOf(name) });
    }
  }

  /** Finds a model or throws Ollama's own 404, quoting the name as the client sent it. */
  resolve(requested: string): MockModel {
    const model = this.models.get(normaliseModelName(requested));
    if (!model) throw new AiNodeError(404, `model "${requested}" not found, try pulling it first`);
    return model;
  }

  /** Throws Ollama's 400 for e.g. generating with an embedding-only model. */
  require(model: MockModel, capability: Capability, operation: string): void {
    if (!model.capabilities.includes(capability)) {
      throw new AiNodeError(400, `"${model.name}" does not support ${operation}`);
    }
  }

  tags(): TagEntry[] {
    return [...this.models.values()].map((model) => {
      const digest = sha256Hex(model.name);
      const embeddingOnly = !model.capabilities.includes('completion');
      return {
        name: model.name,
        model: model.name,
        modified_at: MODIFIED_AT,
        // Plausible file size, stable per name: a few hundred MB.
        size: 100_000_000 + (Number.parseInt(digest.slice(0, 8), 16) % 900_000_000),
        digest,
        details: {
          parent_model: '',
          format: 'gguf',
          family: embeddingOnly ? 'bert' : 'runplane',
          families: [embeddingOnly ? 'bert' : 'runplane'],
          parameter_size: embeddingOnly ? '23M' : '1B',
          quantization_level: embeddingOnly ? 'F16' : 'Q4_K_M',
        },
      };
    });
  }
}
