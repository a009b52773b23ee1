/* Every AML opcode the parser knows, in the positions firmware uses them,
 * with a sentinel Name at the end of each method body: the test compares
 * the whole namespace (method locals included) with ACPICA's, so a term
 * misparsed anywhere loses a sentinel. */
DefinitionBlock ("", "DSDT", 2, "VENEER", "GRAMMAR", 1)
{
    External (\_SB.EXT0, DeviceObj)
    External (\_SB.EXM2, MethodObj, IntObj, {IntObj, IntObj})
    External (\EXIN, IntObj)
    External (\EXBF, BuffObj)
    External (\EXPK, PkgObj)
    External (\EXMX, MutexObj)
    External (\EXEV, EventObj)
    External (\EXRG, OpRegionObj)
    External (\EXFU, FieldUnitObj)
    External (\EXPR, PowerResObj)
    External (\EXTZ, ThermalZoneObj)

    Name (INT0, 0x12345678)
    Name (INT1, 0x123456789ABCDEF0)
    Name (STR0, "string with \"quotes\" and \\ backslash")
    Name (BUF0, Buffer (0x10) { 0x01, 0x02, 0x03 })
    Name (BUF1, Buffer () { "text" })
    Name (PKG0, Package (0x06) { One, "two", Buffer () { 3 }, Package () { 4, 5 }, \_SB.PCI0, M002 })
    Name (VPK0, Package () { 0x01, 0x02 })
    Name (UUID, ToUUID ("33db4d5b-1ff7-401c-9657-7441c03dd766"))
    Name (RTPL, ResourceTemplate ()
    {
        IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
        IRQNoFlags () {4}
        Memory32Fixed (ReadWrite, 0xFED00000, 0x00000400)
        QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
            0x0, 0x100000000, 0x1FFFFFFFF, 0x0, 0x100000000)
    })
    Mutex (MUT0, 0x00)
    Event (EVT0)
    OperationRegion (GNVS, SystemMemory, 0x7FFF0000, 0x0100)
    Field (GNVS, AnyAcc, Lock, Preserve)
    {
        OSYS,   16,
        ,       4,
        BIT4,   1,
        Offset (0x10),
        AccessAs (ByteAcc, 0x00),
        BYT0,   8,
        AccessAs (BufferAcc, AttribBytes (0x04)),
        BYT1,   8
    }
    OperationRegion (IDXR, SystemIO, 0x70, 0x02)
    Field (IDXR, ByteAcc, NoLock, Preserve)
    {
        IDX0,   8,
        DAT0,   8
    }
    IndexField (IDX0, DAT0, ByteAcc, NoLock, Preserve)
    {
        Offset (0x10),
        CMS0,   8,
        CMS1,   8
    }
    BankField (GNVS, BYT0, 0x01, ByteAcc, NoLock, Preserve)
    {
        Offset (0x20),
        BNK0,   8
    }
    DataTableRegion (DTR0, "DSDT", "", "")
    CreateDWordField (BUF0, 0x00, CDW0)
    CreateWordField (BUF0, 0x04, CWD0)
    CreateByteField (BUF0, 0x06, CBY0)
    CreateBitField (BUF0, 0x38, CBI0)
    CreateQWordField (BUF0, 0x08, CQW0)
    CreateField (BUF0, 0x40, 0x10, CFL0)
    Alias (INT0, ALI0)

    If (CondRefOf (\_OSI, Local0))
    {
        If (\_OSI ("Windows 2015"))
        {
            Name (WIN0, One)
        }
    }

    Scope (\_PR)
    {
        Processor (CPU0, 0x01, 0x00000410, 0x06)
        {
            Method (_STA, 0, NotSerialized)
            {
                Return (0x0F)
            }
        }
    }

    Scope (\_TZ)
    {
        ThermalZone (TZ00)
        {
            Method (_TMP, 0, Serialized)
            {
                Return (0x0BB8)
            }
            Name (_PSL, Package () { \_PR.CPU0 })
        }
    }

    Scope (\_SB)
    {
        PowerResource (PRS0, 0x00, 0x0000)
        {
            Method (_STA, 0, NotSerialized) { Return (One) }
            Method (_ON, 0, NotSerialized) { }
            Method (_OFF, 0, NotSerialized) { }
        }
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A08"))
            Name (_CID, EisaId ("PNP0A03"))
            Device (LPCB)
            {
                Name (_ADR, 0x001F0000)
                Device (EC0)
                {
                    Name (_HID, EisaId ("PNP0C09"))
                    Method (_REG, 2, NotSerialized)
                    {
                        If ((Arg0 == 0x03))
                        {
                            ^^^^^M001 (Arg1)
                        }
                        Name (SEN1, One)
                    }
                }
            }
        }
    }

    Method (M001, 1, Serialized)
    {
        Local0 = (Arg0 + 0x01)
        Local1 = (Local0 - 0x01)
        Local2 = (Local1 * 0x02)
        Divide (Local2, 0x03, Local3, Local4)
        Local5 = (Local4 % 0x05)
        Local6 = (Local5 << 0x01)
        Local7 = (Local6 >> 0x01)
        Local0 = (Local7 & 0xFF)
        Local0 = (Local0 | 0x100)
        Local0 = (Local0 ^ 0x0F)
        Local0 = NAnd (Local0, 0xFF)
        Local0 = NOr (Local0, 0xFF)
        Local0 = ~Local0
        Local0++
        Local0--
        FindSetLeftBit (Local0, Local1)
        FindSetRightBit (Local0, Local2)
        Local3 = (Local1 && Local2)
        Local3 = (Local1 || Local2)
        Local3 = !Local1
        Local3 = (Local1 == Local2)
        Local3 = (Local1 != Local2)
        Local3 = (Local1 > Local2)
        Local3 = (Local1 >= Local2)
        Local3 = (Local1 < Local2)
        Local3 = (Local1 <= Local2)
        Local4 = Concatenate ("a", "b")
        ConcatenateResTemplate (RTPL, RTPL, Local4)
        Local4 = Mid (STR0, 0x01, 0x02)
        Local4 = ToBuffer (Local4)
        Local4 = ToDecimalString (0x10)
        Local4 = ToHexString (0x10)
        Local4 = ToInteger ("0x10")
        Local4 = ToString (BUF1, Ones)
        Local4 = ToBCD (0x10)
        Local4 = FromBCD (0x10)
        Local4 = SizeOf (STR0)
        Local4 = ObjectType (INT0)
        Local4 = RefOf (INT0)
        Local4 = DerefOf (Local4)
        Local4 = DerefOf (PKG0 [0x01])
        Local4 = Match (PKG0, MEQ, One, MTR, Zero, Zero)
        CopyObject (INT1, Local5)
        Local6 = Timer
        Local6 = Revision
        Debug = "debug"
        Store (Arg0, Debug)
        Notify (\_SB.PCI0, 0x80)
        Notify (\_TZ.TZ00, 0x81)
        Sleep (0x01)
        Stall (0x01)
        Acquire (MUT0, 0xFFFF)
        Release (MUT0)
        Signal (EVT0)
        Reset (EVT0)
        Wait (EVT0, 0x01)
        Local0 = Package (Arg0) { 1, 2 }
        While (One)
        {
            If ((Local0 == One))
            {
                Break
            }
            ElseIf ((Local0 == 0x02))
            {
                Continue
            }
            Else
            {
                Noop
            }
        }
        Switch (ToInteger (Arg0))
        {
            Case (One)
            {
                Local0 = M002 (One, 0x02)
            }
            Case (Package () { 0x02, 0x03 })
            {
                Local0 = M003 (M002 (One, 0x02), M002 (0x03, 0x04), One)
            }
            Default
            {
                Local0 = \_SB.EXM2 (One, 0x02)
            }
        }
        If (CondRefOf (\_SB.EXM2))
        {
            Local0 = \_SB.EXM2 (M002 (One, One), One)
        }
        BreakPoint
        If ((Arg0 == 0xFF))
        {
            Fatal (0x01, 0x00000002, 0x03)
        }
        Local0 = ALI0
        CDW0 = 0x01020304
        BIT4 = One
        CMS0 = 0x05
        BNK0 = 0x06
        Name (SEN0, One)
        Return (Local0)
    }

    Method (M002, 2, NotSerialized)
    {
        Name (SEN2, Buffer (Arg0) {})
        CreateDWordField (SEN2, Zero, SEN3)
        Return ((Arg0 + Arg1))
    }

    Method (M003, 3, NotSerialized)
    {
        Local0 = M002 (Arg0, Arg1)
        Local0 += M002 (Arg2, M002 (Arg0, Arg1))
        Local1 = \_SB.PCI0.LPCB.EC0._REG (One, 0x02)
        Method (M004, 7, NotSerialized)
        {
            Name (SEN4, One)
            Return (Arg6)
        }
        Local2 = M004 (0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07)
        Name (SEN5, One)
        Return (Local0)
    }

    Name (_S5, Package () { 0x05, 0x05, Zero, Zero })
    Name (TAIL, One)
}
