/** The workflow's messages, defined once; the client library imports these very objects. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancelReservationInput, ConfirmSaleInput, ReservationState, SelectBoxInput } from './schemas.ts';

export const getState = defineQuery<ReservationState>('getState');
export const waitForReservation = defineUpdate<ReservationState>('waitForReservation');
export const selectBox = defineUpdate<ReservationState, [SelectBoxInput]>('selectBox');
export const confirmSale = defineSignal<[ConfirmSaleInput?]>('confirmSale');
export const cancelReservation = defineSignal<[CancelReservationInput?]>('cancelReservation');
