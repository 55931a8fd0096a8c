package server

import (
	"net/http"
	"strings"
)

// Lang is a UI language; the catalogue holds every text of the UI in
// Spanish (the default) and English.
type Lang string

const (
	ES Lang = "es"
	EN Lang = "en"
)

var catalogue = map[string][2]string{ // key: {es, en}
	"app.tagline":                      {"Forense de filtraciones de registros de personas", "Leak forensics for registers of people"},
	"nav.cases":                        {"Casos", "Cases"},
	"nav.releases":                     {"Entregas", "Releases"},
	"nav.ledger":                       {"Bitácora", "Ledger"},
	"nav.check":                        {"¿Estoy expuesto?", "Am I exposed?"},
	"nav.logout":                       {"Salir", "Log out"},
	"login.title":                      {"Iniciar sesión", "Log in"},
	"login.user":                       {"Usuario", "User"},
	"login.password":                   {"Contraseña", "Password"},
	"login.submit":                     {"Entrar", "Log in"},
	"login.failed":                     {"Usuario o contraseña incorrectos.", "Wrong user or password."},
	"cases.title":                      {"Casos", "Cases"},
	"cases.none":                       {"Todavía no hay casos analizados.", "No analysed cases yet."},
	"cases.upload":                     {"Subir una filtración", "Upload a leak"},
	"cases.upload.file":                {"Archivo de la filtración", "Leak file"},
	"cases.upload.submit":              {"Subir y analizar", "Upload and analyse"},
	"cases.uploading":                  {"Subiendo", "Uploading"},
	"cases.analysing":                  {"Analizando", "Analysing"},
	"cases.failed":                     {"El análisis falló", "The analysis failed"},
	"col.case":                         {"Caso", "Case"},
	"col.verdict":                      {"Veredicto", "Verdict"},
	"col.people":                       {"Personas afectadas", "Affected people"},
	"col.status":                       {"Estado", "Status"},
	"col.date":                         {"Fecha", "Date"},
	"col.recipient":                    {"Destinatario", "Recipient"},
	"col.rows":                         {"Registros", "Rows"},
	"col.profile":                      {"Perfil", "Profile"},
	"col.asof":                         {"Corte", "Cut-off"},
	"col.kind":                         {"Tipo", "Kind"},
	"col.summary":                      {"Resumen", "Summary"},
	"col.entidad":                      {"Entidad", "State"},
	"col.score":                        {"Puntaje", "Score"},
	"col.threshold":                    {"Umbral", "Threshold"},
	"col.bound":                        {"P(acusación falsa) ≤", "P(false accusation) ≤"},
	"att.accused":                      {"señalado", "accused"},
	"att.inconclusive":                 {"no concluyente", "inconclusive"},
	"att.no_release_matches":           {"ninguna entrega coincide", "no release matches"},
	"att.not_applicable":               {"no aplica", "not applicable"},
	"case.verdict":                     {"Veredicto", "Verdict"},
	"case.cutoff":                      {"Fecha de corte", "Cut-off"},
	"case.attribution":                 {"Atribución por destinatario", "Attribution by recipient"},
	"case.map":                         {"Personas afectadas por entidad", "Affected people by state"},
	"case.map.credit":                  {"Mapa: @svg-maps/mexico de Victor Cazanave, licencia CC BY 4.0.", "Map: @svg-maps/mexico by Victor Cazanave, licensed CC BY 4.0."},
	"case.report":                      {"Informe completo", "Full report"},
	"case.notes":                       {"Notas", "Notes"},
	"case.note.add":                    {"Agregar nota", "Add note"},
	"case.status.set":                  {"Cambiar estado", "Set status"},
	"case.publish":                     {"Publicar para la consulta de exposición", "Publish for the exposure check"},
	"case.published":                   {"Publicado para la consulta de exposición", "Published for the exposure check"},
	"verdict.ours":                     {"NUESTRA: son datos del registro", "OURS: the register's data"},
	"verdict.partial":                  {"PARCIAL: en parte datos del registro", "PARTIAL: partly the register's data"},
	"verdict.same_people_other_source": {"MISMAS PERSONAS, OTRA FUENTE", "SAME PEOPLE, OTHER SOURCE"},
	"verdict.not_ours":                 {"NO ES NUESTRA", "NOT OURS"},
	"status.open":                      {"abierto", "open"},
	"status.confirmed":                 {"confirmado", "confirmed"},
	"status.closed":                    {"cerrado", "closed"},
	"releases.title":                   {"Entregas", "Releases"},
	"releases.none":                    {"Todavía no hay entregas.", "No releases yet."},
	"releases.issue":                   {"Emitir una entrega", "Issue a release"},
	"releases.submit":                  {"Emitir", "Issue"},
	"releases.download":                {"Descargar", "Download"},
	"releases.issued":                  {"Entrega emitida", "Release issued"},
	"releases.state.missing":           {"El archivo ya no está.", "The file is gone."},
	"releases.state.changed":           {"El archivo cambió: ya no coincide con el SHA-256 del registro.", "The file changed: it no longer matches the ledger's SHA-256."},
	"releases.state.checking":          {"Verificando el archivo contra el registro…", "Checking the file against the ledger…"},
	"releases.state.not-kept":          {"Este espacio de trabajo no guarda el archivo.", "This workspace does not keep the file."},
	"ledger.title":                     {"Bitácora de entregas", "Release ledger"},
	"ledger.verify":                    {"Verificar la bitácora", "Verify the ledger"},
	"ledger.ok":                        {"La bitácora es íntegra. Punto de control firmado:", "The ledger is intact. Signed checkpoint:"},
	"ledger.bad":                       {"La verificación FALLÓ:", "Verification FAILED:"},
	"ledger.proof":                     {"Prueba de inclusión", "Inclusion proof"},
	"ledger.none":                      {"La bitácora está vacía.", "The ledger is empty."},
	"check.title":                      {"¿Están mis datos en una filtración?", "Is my data in a leak?"},
	"check.intro": {"Escriba su CURP. Su navegador la cifra con un número aleatorio antes de enviarla: el servidor nunca ve su CURP ni un hash de ella, y solo usted ve el resultado.",
		"Type your CURP. Your browser blinds it with a random number before sending it: the server never sees your CURP or a hash of it, and only you see the result."},
	"check.curp":      {"CURP", "CURP"},
	"check.submit":    {"Consultar", "Check"},
	"check.exposed":   {"Su CURP aparece en estas filtraciones:", "Your CURP appears in these leaks:"},
	"check.clear":     {"Su CURP no aparece en ninguna filtración publicada.", "Your CURP is not in any published leak."},
	"check.loading":   {"Cargando el módulo de cifrado…", "Loading the blinding module…"},
	"check.error":     {"No se pudo consultar:", "The check failed:"},
	"check.published": {"Filtraciones consultables:", "Leaks that can be checked:"},
	"err.notfound":    {"No encontrado.", "Not found."},
	"err.forbidden":   {"Su rol no permite esta acción.", "Your role does not allow this."},
	"err.generic":     {"Algo salió mal.", "Something went wrong."},
	"lang.other":      {"English", "Español"},
}

// T translates a catalogue key; an unknown key is returned as is so a
// missing text shows up in tests instead of an empty string.
func (l Lang) T(key string) string {
	m, ok := catalogue[key]
	if !ok {
		return key
	}
	if l == EN {
		return m[1]
	}
	return m[0]
}

// Other is the language the switcher offers.
func (l Lang) Other() Lang {
	if l == EN {
		return ES
	}
	return EN
}

// langOf picks the language: ?lang=, then the "lang" cookie, then
// Accept-Language, else Spanish.
func langOf(r *http.Request) Lang {
	if v := r.URL.Query().Get("lang"); v == "es" || v == "en" {
		return Lang(v)
	}
	if c, err := r.Cookie("lang"); err == nil && (c.Value == "es" || c.Value == "en") {
		return Lang(c.Value)
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "es"):
			return ES
		case strings.HasPrefix(tag, "en"):
			return EN
		}
	}
	return ES
}
