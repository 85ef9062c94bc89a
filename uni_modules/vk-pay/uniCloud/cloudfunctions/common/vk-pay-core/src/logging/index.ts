export { sanitize, maskMiddle } from './sanitize';
export { encryptUserInfo, decryptUserInfo, protectUserInfo, type EncryptedBlob } from './user-info-crypto';
export { writePaymentLog, writePaymentError, type PaymentLogEntry, type PaymentErrorEntry, type LogType } from './logs';
