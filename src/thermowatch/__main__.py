from thermowatch.cli import main

main()
