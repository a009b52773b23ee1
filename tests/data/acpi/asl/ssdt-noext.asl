/* An SSDT as compilers before External (iasl 2005) left them: it calls
 * methods of the DSDT with no declaration at all, so only the DSDT's
 * namespace says how many arguments M038 takes (the ASUS/AMD CPM SSDT
 * calls its DSDT's helpers this way). */
DefinitionBlock ("", "SSDT", 1, "VENEER", "NOEXT", 1)
{
    Method (M009, 1, Serialized)
    {
        Local1 = M038 (Arg0)
        Local2 = \_SB.PCI0.GET2 (Local1, M038 (Local1))
        Name (SEN9, One)
        Return (Local2)
    }
}
