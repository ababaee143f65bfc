from botmoon_client.cli import main

main()
