/** The workflow's messages, defined once; the client library imports these very objects. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  BriefState,
  CancelReservationInput,
  ChangeBoxInput,
  ConfirmSaleInput,
  ExtendHoldInput,
  ReservationState,
  SelectBoxInput,
} from './schemas.ts';

export const getState = defineQuery<ReservationState>('getState');
export const waitForReservation = defineUpdate<ReservationState>('waitForReservation');
export const selectBox = defineUpdate<ReservationState, [SelectBoxInput]>('selectBox');
export const confirmSale = defineSignal<[ConfirmSaleInput?]>('confirmSale');
export const cancelReservation = defineSignal<[CancelReservationInput?]>('cancelReservation');
/** While RESERVED: move to another free port within the radius (docs/architecture.md, "A living reservation"). */
export const changeBox = defineUpdate<BriefState, [ChangeBoxInput]>('changeBox');
/** While RESERVED: push the hold's end later by whole days, up to the configured longest hold. */
export const extendHold = defineUpdate<BriefState, [ExtendHoldInput]>('extendHold');
