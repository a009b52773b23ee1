/* An SSDT that only knows the DSDT's objects through External: argument
 * counts come from the External declarations, also for a module-level
 * invocation, and for a method declared in no table (XMTH). */
DefinitionBlock ("", "SSDT", 2, "VENEER", "EXTERNAL", 1)
{
    External (\_SB.PCI0, DeviceObj)
    External (\_SB.PCI0.GET2, MethodObj, IntObj, {IntObj, IntObj})
    External (\XMTH, MethodObj, IntObj, {IntObj, IntObj, IntObj})
    Scope (\_SB.PCI0)
    {
        Name (EXT0, 0x1234)
        Method (EXM1, 0, NotSerialized)
        {
            Return (GET2 (EXT0, \XMTH (One, 0x02, 0x03)))
        }
    }
    OperationRegion (EXR0, SystemMemory, \_SB.PCI0.GET2 (0x1000, 0x2000), 0x0100)
    Name (EXT1, 0x5678)
}
