/**
 * Backrefs (port of `backref_listeners` in `orm/attributes.py`): listeners that keep two
 * attributes mirroring each other in sync — setting `post.blog = b` appends `post` to
 * `b.posts`, and so on. Recursion is cut by comparing the incoming initiator with the reverse
 * attribute's tokens; an initiator belonging to neither side means the backrefs are
 * misconfigured, which is reported instead of looping.
 */
import { NO_VALUE, PASSIVE_NO_FETCH, PASSIVE_NO_RESULT, className, instanceStr } from "./base.js";
import { duckTypeCollection } from "./collections.js";
import { InvalidRequestError } from "./errors.js";
import { instanceDict, instanceState } from "./access.js";
import { addAttributeListener } from "./events.js";
import type { AttributeEventToken, AttributeImpl, InstrumentedAttribute } from "./attributes.js";
import { CollectionAttributeImpl, ScalarAttributeImpl } from "./attributes.js";
import type { InstanceState } from "./state.js";

function present(value: unknown): value is object {
  return value !== null && value !== undefined && value !== PASSIVE_NO_RESULT && value !== NO_VALUE;
}

function reverseImpl(child: object, key: string): [InstanceState, Record<string, unknown>, AttributeImpl] {
  const state = instanceState(child);
  const dict = instanceDict(child);
  const attr = state.manager.get(key);
  if (attr?.impl === undefined) {
    throw new InvalidRequestError(`Backref target ${state.class_.name}.${key} is not an instrumented attribute.`);
  }
  return [state, dict, attr.impl];
}

function appendTokenOf(impl: AttributeImpl): AttributeEventToken {
  return impl instanceof CollectionAttributeImpl ? impl.appendToken : (impl as ScalarAttributeImpl).replaceToken;
}

/** Installs the listeners that mirror `attribute` into `key` on its values' class. */
export function installBackrefListeners(attribute: InstrumentedAttribute, key: string, uselist: boolean): void {
  const parentImpl = attribute.requireImpl();
  const parentToken = parentImpl.parentToken;

  const conflict = (state: InstanceState, initiator: AttributeEventToken, childImpl: AttributeImpl): never => {
    throw new InvalidRequestError(
      `Bidirectional attribute conflict detected: Passing object ${instanceStr(state.obj() ?? {})} to attribute ` +
        `"${initiator.parentToken}" triggers a modify event on attribute "${childImpl.parentToken}" via the backref ` +
        `"${parentImpl.parentToken}".`,
    );
  };

  const appendToChild = (state: InstanceState, child: object, initiator: AttributeEventToken): void => {
    const [childState, childDict, childImpl] = reverseImpl(child, key);
    if (initiator.parentToken !== parentToken && initiator.parentToken !== childImpl.parentToken) {
      conflict(state, initiator, childImpl);
    }
    const bulkToken = childImpl instanceof CollectionAttributeImpl ? childImpl.bulkReplaceToken : undefined;
    if (initiator !== appendTokenOf(childImpl) && initiator !== bulkToken) {
      childImpl.append(childState, childDict, state.obj(), initiator, PASSIVE_NO_FETCH);
    }
  };

  const fromScalarSet = (state: InstanceState, child: unknown, oldChild: unknown, initiator: AttributeEventToken): unknown => {
    if (oldChild === child) return child;
    if (duckTypeCollection(child) !== undefined) {
      throw new InvalidRequestError(
        `${parentImpl} has backref '${key}' and was assigned a ${className((child as object).constructor)}, but it is not a ` +
          `collection attribute (its kind could not be told from its declaration). Declare it with ` +
          `@attribute({ kind: "collection", backref: "${key}" }) (or registerAttribute(..., { kind: "collection", backref: "${key}" })).`,
      );
    }
    if (present(oldChild)) {
      const [oldState, oldDict, impl] = reverseImpl(oldChild, key);
      const recursive = impl instanceof CollectionAttributeImpl ? impl.removeToken : (impl as ScalarAttributeImpl).replaceToken;
      if (initiator !== recursive) impl.pop(oldState, oldDict, state.obj(), appendTokenOf(parentImpl), PASSIVE_NO_FETCH);
    }
    if (child !== null && child !== undefined) appendToChild(state, child as object, initiator);
    return child;
  };

  const fromCollectionAppend = (state: InstanceState, child: unknown, initiator: AttributeEventToken): unknown => {
    if (child === null || child === undefined) return child;
    appendToChild(state, child as object, initiator);
    return child;
  };

  const fromCollectionRemove = (state: InstanceState, child: unknown, initiator: AttributeEventToken): void => {
    if (!present(child)) return;
    const [childState, childDict, childImpl] = reverseImpl(child, key);
    let checkRemove: AttributeEventToken;
    let checkReplace: AttributeEventToken | undefined;
    let checkDupes: boolean;
    if (childImpl instanceof CollectionAttributeImpl) {
      checkRemove = childImpl.removeToken;
      checkReplace = childImpl.bulkReplaceToken;
      checkDupes = false;
    } else {
      checkRemove = (childImpl as ScalarAttributeImpl).removeToken;
      checkReplace = (childImpl as ScalarAttributeImpl).replaceToken;
      checkDupes = uselist;
    }
    if (initiator === checkRemove || initiator === checkReplace) return;
    // The item is usually still present when this fires (pop excepted): a second occurrence
    // means the child keeps its parent.
    if (checkDupes && countOf(state.dict[parentImpl.key], child) > 1) return;
    childImpl.pop(childState, childDict, state.obj(), initiator, PASSIVE_NO_FETCH);
  };

  const options = { retval: true, raw: true, includeKey: true };
  if (uselist) addAttributeListener(attribute, "append", fromCollectionAppend, options);
  else addAttributeListener(attribute, "set", fromScalarSet, options);
  addAttributeListener(attribute, "remove", fromCollectionRemove, options);
}

function countOf(collection: unknown, item: unknown): number {
  if (collection === null || collection === undefined || typeof collection !== "object") return 0;
  let n = 0;
  for (const member of collection as Iterable<unknown>) if (member === item) n++;
  return n;
}
