/* Namespace features the VMM relies on: \_Sx in several encodings (one
 * conditional), UARTs by EISA ID and by string _HID, a method invoked
 * before its declaration (forward reference inside a method body), an
 * Alias to a 2-argument method, a method nested in a method, a field. */
DefinitionBlock ("", "DSDT", 2, "VENEER", "FEATURES", 1)
{
    Name (_S0, Package (0x04) { Zero, Zero, Zero, Zero })
    Name (_S1, Package (0x02) { One, 0x02 })
    Name (SS3, One)
    If (SS3)
    {
        Name (_S3, Package (0x04) { 0x05, 0x06, Zero, Zero })
    }
    Name (_S4, Package (0x01) { 0x0304 })
    Name (_S5, Package (0x04) { 0x07, 0x07, Zero, Zero })
    OperationRegion (PMIO, SystemIO, 0x0400, 0x80)
    Field (PMIO, WordAcc, NoLock, Preserve)
    {
        PM1S,   16,
        Offset (0x04),
        PM1C,   16
    }
    /* module-level call of a method declared further down this table */
    OperationRegion (FWRG, SystemMemory, LATE (0x10, 0x20, 0x30), 0x10)
    Alias (\LATE, LATA)
    Method (FWDA, 0, NotSerialized)
    {
        Return (LATA (One, One, One))
    }
    Method (FWD0, 0, NotSerialized)
    {
        Local0 = LATE (One, 0x02, 0x03)
        Local1 = LATE (LATE (One, 0x02, 0x03), Local0, \_SB.PCI0.GET2 (Local0, Local0))
        Return (Local1)
    }
    Scope (\_SB)
    {
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A03"))
            Method (GET2, 2, NotSerialized)
            {
                Return ((Arg0 + Arg1))
            }
            Device (LPCB)
            {
                Name (_ADR, 0x001F0000)
                Device (UAR1)
                {
                    Name (_HID, EisaId ("PNP0501"))
                    Name (_UID, One)
                }
                Device (UAR2)
                {
                    Name (_HID, "PNP0501")
                    Name (_UID, 0x02)
                }
                Device (KBD0)
                {
                    Name (_HID, EisaId ("PNP0303"))
                }
            }
        }
        Alias (\_SB.PCI0.GET2, GETA)
        Method (USEA, 1, NotSerialized)
        {
            Return (GETA (Arg0, Arg0))
        }
    }
    Method (LATE, 3, NotSerialized)
    {
        Return (((Arg0 + Arg1) + Arg2))
    }
    Method (\_SB.PCI0.LPCB.NEST, 0, NotSerialized)
    {
        Method (INNR, 2, NotSerialized)
        {
            Return (Arg0)
        }
        Return (INNR (One, 0x02))
    }
    Method (M038, 1, NotSerialized)
    {
        Return (Arg0)
    }
    Name (TAIL, 0xDEADBEEF)
}
