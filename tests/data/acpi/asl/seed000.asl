/* Seed 000: the ASUS/AMD SSDT shape on which BitVisor's AML parser (no
 * namespace, guesses argument counts) runs for minutes: method-free
 * expressions at module level whose operands are names. With A001 known
 * to be a Name (0 arguments) there is exactly one parse. A003 and A004
 * repeat the shape with methods of 1 and 3 arguments, and A00x regions
 * nest the expression deeper. */
DefinitionBlock ("", "SSDT", 2, "VENEER", "SEED000", 1)
{
    Name (A001, One)
    OperationRegion (A002, SystemMemory, Add (A001, Add (DerefOf (Index (A001, Add (A001,
        One))), DerefOf (Index (A001, Add (A001, 0x03))))), 0x1000)
    Field (A002, ByteAcc, NoLock, Preserve)
    {
    }

    Method (M001, 1, NotSerialized)
    {
        Return (Add (Arg0, A001))
    }
    Method (M003, 3, NotSerialized)
    {
        Return (Add (Add (Arg0, Arg1), Arg2))
    }

    OperationRegion (A003, SystemMemory, Add (M001 (A001), Add (DerefOf (Index (A001,
        Add (M001 (A001), One))), DerefOf (Index (A001, M003 (A001, A001,
        Add (A001, 0x03)))))), 0x1000)
    Field (A003, ByteAcc, NoLock, Preserve)
    {
        F001,   8,
        F002,   8
    }

    OperationRegion (A004, SystemIO, M003 (M001 (M003 (A001, M001 (A001), A001)),
        M003 (M001 (A001), M001 (M001 (A001)), M003 (A001, A001, A001)),
        Add (A001, Add (A001, Add (A001, Add (A001, Add (A001, Add (A001, A001))))))), 0x10)
    Field (A004, ByteAcc, NoLock, Preserve)
    {
        F003,   8
    }

    Name (A005, Package (0x02) { A001, M001 })
    Name (END0, 0x5AA5)
}
