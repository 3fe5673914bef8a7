/** Associations between objects, kept in both directions (HubSpot shows a call→contact link on both records). */
import { associationBetween, type CrmObjectType } from './emulator-object-types.js';

export interface SavedAssociation {
  fromType: CrmObjectType;
  fromId: string;
  toType: CrmObjectType;
  toId: string;
}

function nodeKey(type: CrmObjectType, id: string): string {
  return `${type}:${id}`;
}

export class AssociationGraph {
  /** "type:id" → target type → target ids. */
  private readonly edges = new Map<string, Map<CrmObjectType, Set<string>>>();

  link(fromType: CrmObjectType, fromId: string, toType: CrmObjectType, toId: string): void {
    this.addEdge(fromType, fromId, toType, toId);
    if (associationBetween(toType, fromType)) this.addEdge(toType, toId, fromType, fromId);
  }

  targets(fromType: CrmObjectType, fromId: string, toType: CrmObjectType): string[] {
    const ids = this.edges.get(nodeKey(fromType, fromId))?.get(toType);
    return ids ? [...ids] : [];
  }

  /** Removes an object's links in both directions (on archive). */
  unlinkAll(type: CrmObjectType, id: string): void {
    const key = nodeKey(type, id);
    const byType = this.edges.get(key);
    if (!byType) return;
    for (const [otherType, ids] of byType) {
      for (const otherId of ids) this.edges.get(nodeKey(otherType, otherId))?.get(type)?.delete(id);
    }
    this.edges.delete(key);
  }

  /** Number of call→contact links (each is stored twice, once per direction). */
  linkCount(): number {
    return this.exportState().length;
  }

  clear(): void {
    this.edges.clear();
  }

  /** One entry per direction-independent link, in the direction the connector writes them (calls → contacts). */
  exportState(): SavedAssociation[] {
    const saved: SavedAssociation[] = [];
    for (const [key, byType] of this.edges) {
      const separator = key.indexOf(':');
      const fromType = key.slice(0, separator) as CrmObjectType;
      const fromId = key.slice(separator + 1);
      if (fromType !== 'calls') continue;
      for (const [toType, ids] of byType) for (const toId of ids) saved.push({ fromType, fromId, toType, toId });
    }
    return saved;
  }

  private addEdge(fromType: CrmObjectType, fromId: string, toType: CrmObjectType, toId: string): void {
    const key = nodeKey(fromType, fromId);
    let byType = this.edges.get(key);
    if (!byType) {
      byType = new Map();
      this.edges.set(key, byType);
    }
    let ids = byType.get(toType);
    if (!ids) {
      ids = new Set();
      byType.set(toType, ids);
    }
    ids.add(toId);
  }
}
