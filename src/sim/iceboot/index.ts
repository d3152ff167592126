export * from './interlocks.js';
export { MainboardSim, FPGA_VERSION_UNCONFIGURED, type MainboardOptions, type McuState } from './mainboard.js';
export { startDevicePort, type DevicePort } from './device-port.js';
export { CHARGE_STAMP_BYTES, wfmV82RecordBytes, wfmV82Words, writeChargeStamp, writeWfmV82Record, writeWfmV82Words } from './encode.js';
