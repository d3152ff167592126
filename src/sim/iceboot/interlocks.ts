/** ICM CTRL2 bits the mainboard can read back (reference/iceboot-protocol.md §3.2, §5.3) */
export const CTRL2_FLASH = 0x0001;
export const CTRL2_FPGA_CONFIG = 0x0002;
export const CTRL2_LID = 0x0004;
export const CTRL2_HV = 0x0008;
export const CTRL2_INTLK_ENA = 0x0010;
/**
 * CTRL2 as after `fat setup`: the ICM's reset value 0x0012 plus the HV, LID and flash interlocks
 * that the setup enables. The ICM simulator overwrites it when it is reconfigured or told otherwise.
 */
export const CTRL2_AFTER_SETUP = CTRL2_INTLK_ENA | CTRL2_FPGA_CONFIG | CTRL2_HV | CTRL2_LID | CTRL2_FLASH;
