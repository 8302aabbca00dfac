"""`python -m incident_desk.cli`: how `serve` starts its web and worker processes."""
from incident_desk.cli import main

if __name__ == "__main__":
    main()
